"""Every string the dashboards show, in Chinese (default) and English.

``t(key, lang, **fields)`` looks a key up and fills ``{fields}``; a missing key is a bug and
raises ``KeyError`` (the test suite renders every page in both languages).
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    # -- shell -------------------------------------------------------------------------------
    "app_title": {"zh": "校情数据看板", "en": "College dashboards"},
    "page_overview": {"zh": "校情总览", "en": "Overview"},
    "lang_label": {"zh": "语言 / Language", "en": "Language / 语言"},
    "academic_year_label": {"zh": "学年", "en": "Academic year"},
    "fiscal_year_label": {"zh": "财年", "en": "Fiscal year"},
    "academic_year_fmt": {"zh": "{y}-{y1}学年", "en": "{y}-{y1}"},
    "fiscal_year_fmt": {"zh": "{y}年度", "en": "FY{y}"},
    "academic_year_help": {
        "zh": "学年从 {y}-09-01 起算；人数按统计时点（9 月 30 日）计。",
        "en": "Academic years start on 1 September; headcounts are taken on the census date (30 September).",
    },
    "fiscal_year_help": {"zh": "财年为自然年。", "en": "Fiscal years are calendar years."},
    "data_as_of": {"zh": "数据截至 {ts}", "en": "Data as of {ts}"},
    "snapshot_ref": {"zh": "快照：{snapshot}", "en": "Snapshot: {snapshot}"},
    "stale_warning": {
        "zh": "数据已超过 {hours} 小时未更新（已 {age}）。最近的流水线运行可能失败；页面显示的是最后一次成功发布的数据。",
        "en": "The data is more than {hours} hours old ({age}). Recent pipeline runs may have failed; "
        "the pages show the last successfully published data.",
    },
    "age_hours": {"zh": "{h} 小时", "en": "{h} h"},
    "age_days": {"zh": "{d} 天 {h} 小时", "en": "{d} d {h} h"},
    "unknown_time": {"zh": "未知", "en": "unknown"},
    "no_years": {"zh": "快照中没有指标数据。", "en": "The snapshot holds no indicator values."},
    # -- no snapshot / errors -----------------------------------------------------------------
    "no_snapshot_title": {"zh": "还没有可用的数据", "en": "No data published yet"},
    "no_snapshot_body": {
        "zh": "数据看板只读取流水线发布的服务快照，目前还没有任何快照。请在项目目录中运行流水线：",
        "en": "The dashboards read only the serving snapshot that the pipeline publishes, "
        "and none has been published yet. Run the pipeline from the project directory:",
    },
    "no_snapshot_demo": {
        "zh": "试用：生成示范学院、运行流水线并启动看板",
        "en": "To try it out: generate the demo college, run the pipeline and serve the dashboards",
    },
    "no_snapshot_run": {
        "zh": "正式环境：按配置文件从各业务系统抽取数据并运行一次流水线",
        "en": "In production: run the pipeline once against the source systems in your configuration",
    },
    "no_snapshot_after": {
        "zh": "运行成功并通过阻断性数据检查后，快照会自动发布，刷新本页即可看到数据，无需重启看板。",
        "en": "Once a run passes its blocking data checks it publishes a snapshot; reload this page "
        "to see it. The dashboards need no restart.",
    },
    "no_snapshot_where": {"zh": "查找快照的位置：{path}", "en": "Looking for snapshots in: {path}"},
    "no_snapshot_sidebar": {"zh": "尚无数据快照", "en": "No snapshot yet"},
    "config_error_title": {"zh": "配置有误", "en": "Configuration problem"},
    "config_error_body": {
        "zh": "无法读取 campus-dw 配置，请管理员检查配置文件。详情：",
        "en": "The campus-dw configuration could not be read; ask the administrator to check it. Details:",
    },
    "error_title": {"zh": "页面暂时无法显示", "en": "This page cannot be shown right now"},
    "error_body": {
        "zh": "出现了意外错误，已记录到日志。请稍后刷新重试；如问题持续，请将错误编号 {ref} 告知数据中心。",
        "en": "An unexpected error occurred and has been logged. Reload the page later; if it persists, "
        "give the data office the error reference {ref}.",
    },
    # -- overview -----------------------------------------------------------------------------
    "overview_title": {"zh": "校情总览", "en": "College overview"},
    "overview_caption": {
        "zh": "{ay}（统计时点 {census}）· {fy}财务数据 · 与上一年比较",
        "en": "{ay} (census date {census}) · {fy} finance · compared with the previous year",
    },
    "group_students": {"zh": "学生规模", "en": "Students"},
    "group_faculty": {"zh": "师资", "en": "Faculty"},
    "group_flows": {"zh": "学生流动", "en": "Student flows"},
    "group_teaching": {"zh": "教学与产出", "en": "Teaching and outcomes"},
    "group_finance": {"zh": "财务", "en": "Finance"},
    "group_students_note": {"zh": "统计时点 {census}", "en": "On the census date {census}"},
    "group_faculty_note": {"zh": "统计时点 {census}", "en": "On the census date {census}"},
    "group_flows_note": {
        "zh": "{census} 之后至 {census_next}（含）",
        "en": "After {census} up to and including {census_next}",
    },
    "group_teaching_note": {"zh": "{ay}", "en": "Academic year {ay}"},
    "group_finance_note": {
        "zh": "{fy}；学费收缴率按 {ay}；生均支出为{fy}支出除以 {ay} 全日制在校生数",
        "en": "{fy}; tuition collection for {ay}; expenditure per student is {fy} spending "
        "over {ay} full-time students",
    },
    "vs_prev_year": {"zh": "较上年", "en": "vs previous year"},
    "no_value": {"zh": "—", "en": "—"},
    "help_definition": {"zh": "**口径**：{definition}", "en": "**Definition**: {definition}"},
    "help_raw": {"zh": "原始值：{raw}", "en": "Raw value: {raw}"},
    "help_parts": {"zh": "分子 {num} ／ 分母 {den}", "en": "Numerator {num} / denominator {den}"},
    "help_prev": {"zh": "上年：{prev}", "en": "Previous year: {prev}"},
    "help_no_value": {
        "zh": "本年无数据或分母为零，指标不适用。",
        "en": "No data for this year, or a zero denominator: the indicator is undefined.",
    },
    "definition_missing": {"zh": "（快照中无口径说明）", "en": "(no definition in the snapshot)"},
    "kpi_table_title": {"zh": "指标口径与原始数据", "en": "Definitions and raw values"},
    "kpi_table_caption": {
        "zh": "比例类指标的原始值为小数（如 0.8123 即 81.23%）；金额单位为元。",
        "en": "Ratios are stored as fractions (0.8123 is 81.23%); money is in yuan.",
    },
    # -- units ---------------------------------------------------------------------------------
    "unit_wan_yuan": {"zh": "{v} 万元", "en": "{v} × 10k yuan"},
    "unit_yuan": {"zh": "{v} 元", "en": "¥{v}"},
    "unit_million_yuan": {"zh": "{v} 百万元", "en": "¥{v} million"},
    "unit_pp": {"zh": "{v} 个百分点", "en": "{v} pp"},
    "axis_money": {"zh": "万元", "en": "million yuan"},
    # -- running conditions --------------------------------------------------------------------
    "rc_title": {"zh": "基本办学条件", "en": "Basic running conditions"},
    "rc_caption": {
        "zh": "依据教发〔2004〕2号：每项指标有合格线和限制招生线；一项未达限制招生线为黄牌，两项及以上为红牌。",
        "en": "Per Jiao Fa [2004] No. 2, each indicator has a pass line and a looser enrolment-limiting "
        "line; missing one limiting line means a yellow card (enrolment limited), two or more a red card.",
    },
    "rc_indicative": {
        "zh": "此处仅计算了文件中的两项指标，所示黄牌/红牌为指示性结果，不代表正式评估结论；控制线取自 {source}。",
        "en": "Only two of the document's indicators are computed here, so the card shown is indicative, "
        "not an official assessment; lines taken from {source}.",
    },
    "rc_source_snapshot": {"zh": "发布的数据快照", "en": "the published snapshot"},
    "rc_source_config": {"zh": "系统配置", "en": "the configuration"},
    "rc_pass_line": {"zh": "合格线", "en": "Pass line"},
    "rc_limit_line": {"zh": "限制招生线", "en": "Enrolment-limiting line"},
    "rc_line_max": {"zh": "≤ {v}", "en": "≤ {v}"},
    "rc_line_min": {"zh": "≥ {v}", "en": "≥ {v}"},
    "rc_lines_caption": {
        "zh": "合格线 {pass_line} ・ 限制招生线 {limit_line}",
        "en": "Pass line {pass_line} · limiting line {limit_line}",
    },
    "rc_status_pass": {"zh": "✅ 达到合格线", "en": "✅ Meets the pass line"},
    "rc_status_below_pass": {
        "zh": "⚠️ 未达合格线，但未触及限制招生线",
        "en": "⚠️ Misses the pass line but not the enrolment-limiting line",
    },
    "rc_status_limit": {"zh": "⛔ 未达限制招生线", "en": "⛔ Misses the enrolment-limiting line"},
    "rc_status_unknown": {"zh": "无数据，无法判断", "en": "No data: cannot be judged"},
    "card_none": {
        "zh": "指示性结果：无黄牌、红牌（两项指标均未触及限制招生线）",
        "en": "Indicative result: no card (neither indicator misses its enrolment-limiting line)",
    },
    "card_yellow": {
        "zh": "指示性结果：黄牌（限制招生）— {n} 项指标未达限制招生线",
        "en": "Indicative result: yellow card (enrolment limited) — {n} indicator misses its limiting line",
    },
    "card_red": {
        "zh": "指示性结果：红牌 — {n} 项指标未达限制招生线",
        "en": "Indicative result: red card — {n} indicators miss their limiting lines",
    },
    "card_unknown": {
        "zh": "指示性结果：数据不全，无法判断（{n} 项指标无数据）",
        "en": "Indicative result: incomplete data, cannot be judged ({n} indicator(s) without data)",
    },
    "rc_trend_title": {"zh": "{name}：十年走势与控制线", "en": "{name}: ten-year trend against the lines"},
    # -- charts / tables -----------------------------------------------------------------------
    "trend_title": {"zh": "十年趋势", "en": "Ten-year trends"},
    "trend_caption": {
        "zh": "截至所选年份的最近十年；横轴为学年起始年（财务指标为财年）。",
        "en": "The ten years up to the selected year; the axis shows academic-year starts "
        "(fiscal years for finance).",
    },
    "trend_empty": {"zh": "该组指标暂无历史数据。", "en": "No history for this group yet."},
    "ratio_bar_title": {"zh": "{ay}主要比例指标", "en": "Key ratios, {ay}"},
    "axis_year": {"zh": "年份", "en": "Year"},
    "axis_value": {"zh": "数值", "en": "Value"},
    "axis_share": {"zh": "比例", "en": "Share"},
    "legend_series": {"zh": "系列", "en": "Series"},
    "series_value": {"zh": "实际值", "en": "Actual"},
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "download_xlsx": {"zh": "下载 Excel", "en": "Download Excel"},
    "col_kpi_id": {"zh": "指标编号", "en": "Indicator id"},
    "col_kpi_name": {"zh": "指标", "en": "Indicator"},
    "col_group": {"zh": "类别", "en": "Group"},
    "col_year": {"zh": "年份", "en": "Year"},
    "col_academic_year": {"zh": "学年", "en": "Academic year"},
    "col_fiscal_year": {"zh": "财年", "en": "Fiscal year"},
    "col_value": {"zh": "原始值", "en": "Raw value"},
    "col_display": {"zh": "显示值", "en": "Shown as"},
    "col_numerator": {"zh": "分子", "en": "Numerator"},
    "col_denominator": {"zh": "分母", "en": "Denominator"},
    "col_prev_value": {"zh": "上年原始值", "en": "Previous year raw value"},
    "col_change": {"zh": "变化", "en": "Change"},
    "col_unit": {"zh": "单位", "en": "Unit"},
    "col_definition": {"zh": "口径", "en": "Definition"},
    "col_pass_line": {"zh": "合格线", "en": "Pass line"},
    "col_limit_line": {"zh": "限制招生线", "en": "Limiting line"},
    "col_meets_pass": {"zh": "达到合格线", "en": "Meets pass line"},
    "col_meets_limit": {"zh": "达到限制招生线", "en": "Meets limiting line"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    # -- units shown in tables -----------------------------------------------------------------
    "unit_count": {"zh": "人", "en": "persons"},
    "unit_ratio": {"zh": "比例（小数）", "en": "fraction"},
    "unit_money": {"zh": "元", "en": "yuan"},
    "unit_money_per_student": {"zh": "元/人", "en": "yuan per student"},
    "unit_plain": {"zh": "", "en": ""},
    "unit_fte": {"zh": "人（折合）", "en": "FTE"},
    "unit_str": {"zh": "：1", "en": ": 1"},
    # -- domain pages: shared ------------------------------------------------------------------
    "page_students": {"zh": "学生", "en": "Students"},
    "page_faculty": {"zh": "师资", "en": "Faculty"},
    "page_finance": {"zh": "财务", "en": "Finance"},
    "page_quality": {"zh": "数据质量", "en": "Data quality"},
    "unit_label": {"zh": "单位", "en": "Unit"},
    "unit_help": {
        "zh": "只看一个院系/部门的数据；全校数据选“全部单位”。",
        "en": "Show one school or department only; choose “All units” for the whole college.",
    },
    "all_units": {"zh": "全部单位", "en": "All units"},
    "scope_college": {"zh": "全校", "en": "whole college"},
    "scope_unit": {"zh": "单位：{unit}", "en": "unit: {unit}"},
    "missing_tables": {
        "zh": "本快照中还没有 {tables}：数据集市发布这些汇总表之后，本部分会自动显示（无需重启）。",
        "en": "This snapshot does not hold {tables} yet: this part appears once the marts publish "
        "those aggregates (no restart needed).",
    },
    "missing_columns": {
        "zh": "已发布的 {table} 缺少列 {columns}，本部分暂不显示。",
        "en": "The published {table} lacks the column(s) {columns}; this part is not shown.",
    },
    "no_rows": {"zh": "所选年份/单位没有数据。", "en": "No data for the chosen year and unit."},
    "code_none": {"zh": "（未填）", "en": "(blank)"},
    "drill_label": {"zh": "下钻：查看单位明细", "en": "Drill down: show a unit's rows"},
    "drill_none": {"zh": "（点击图中条形或在此选择单位）", "en": "(click a bar or choose a unit here)"},
    "drill_help": {
        "zh": "点击图中的条形即可选中该单位，双击空白处取消；也可以直接在此选择。",
        "en": "Click a bar in the chart to pick its unit (double-click to clear), or choose here.",
    },
    "drill_caption": {"zh": "{unit}：明细", "en": "{unit}: rows"},
    "help_college": {"zh": "全校：{v}", "en": "Whole college: {v}"},
    "help_formula": {"zh": "计算：{text}", "en": "Computed as: {text}"},
    "aggregates_note": {
        "zh": "本页只读取发布快照中的汇总表（不含任何个人信息）；指标口径见各卡片的“?”提示。",
        "en": "This page reads only the published aggregates (no personal data); each card's “?” "
        "gives the indicator's definition.",
    },
    "col_unit_code": {"zh": "单位代码", "en": "Unit code"},
    "col_unit_name": {"zh": "单位", "en": "Unit"},
    "col_major_code": {"zh": "专业代码", "en": "Major code"},
    "col_major_name": {"zh": "专业", "en": "Major"},
    "col_level": {"zh": "培养层次", "en": "Level"},
    "col_study_mode": {"zh": "学习形式", "en": "Study mode"},
    "col_cohort": {"zh": "年级", "en": "Cohort"},
    "col_international": {"zh": "留学生", "en": "International"},
    "col_headcount": {"zh": "在校生数", "en": "Headcount"},
    "col_fte": {"zh": "折合在校生数", "en": "FTE students"},
    "col_category": {"zh": "类别", "en": "Category"},
    "col_flow": {"zh": "变动类别", "en": "Flow"},
    "col_students": {"zh": "人数", "en": "Students"},
    "col_term": {"zh": "学期", "en": "Term"},
    "col_course_code": {"zh": "课程号", "en": "Course code"},
    "col_course_name": {"zh": "课程", "en": "Course"},
    "col_attempts": {"zh": "首考人次", "en": "First attempts"},
    "col_passes": {"zh": "通过人次", "en": "Passes"},
    "col_pass_rate": {"zh": "首考通过率", "en": "Pass rate"},
    "col_assessed": {"zh": "参加考核人数", "en": "Students assessed"},
    "col_at_risk": {"zh": "学业预警人数", "en": "At risk"},
    "col_risk_share": {"zh": "预警比例", "en": "Share at risk"},
    "col_graduates": {"zh": "毕业生数", "en": "Graduates"},
    "col_degree_eligible": {"zh": "可授学位毕业生", "en": "Degree-eligible graduates"},
    "col_degrees": {"zh": "授予学位数", "en": "Degrees awarded"},
    "col_degree_rate": {"zh": "学位授予率", "en": "Degree award rate"},
    "col_placed": {"zh": "去向落实人数", "en": "Placed"},
    "col_placed_rate": {"zh": "毕业去向落实率", "en": "Placement rate"},
    "col_share": {"zh": "占比", "en": "Share"},
    # -- students -------------------------------------------------------------------------------
    "students_title": {"zh": "学生", "en": "Students"},
    "students_caption": {
        "zh": "{ay} · 统计时点 {census} · {scope}",
        "en": "{ay} · census date {census} · {scope}",
    },
    "sec_census": {"zh": "在校生规模", "en": "Census headcount"},
    "sec_census_note": {
        "zh": "统计时点 {census} 在册学生（含休学、保留学籍）。",
        "en": "Students registered on the census date {census} (on leave and registration kept included).",
    },
    "tab_by_unit": {"zh": "按单位", "en": "By unit"},
    "tab_by_major": {"zh": "按专业", "en": "By major"},
    "tab_by_level": {"zh": "按培养层次", "en": "By level"},
    "tab_by_mode": {"zh": "按学习形式", "en": "By study mode"},
    "tab_by_cohort": {"zh": "按年级", "en": "By cohort"},
    "chart_headcount_by": {"zh": "在校生数：{by}", "en": "Headcount {by}"},
    "axis_headcount": {"zh": "人", "en": "students"},
    "sec_flows": {"zh": "学籍异动与流动", "en": "Leave, transfer and withdrawal flows"},
    "sec_flows_note": {
        "zh": "{census} 之后至 {census_next}（含）发生的新生入学、学籍异动和结束学业，按人数计。",
        "en": "Entrants, registration changes and completions after {census} up to and including "
        "{census_next}, in students.",
    },
    "chart_flows": {"zh": "学生流动：按类别", "en": "Student flows by kind"},
    "sec_pass": {"zh": "课程首考通过率", "en": "First-attempt pass rates"},
    "sec_pass_note": {
        "zh": "{ay} 两个学期的正常考试首考（口径见指标说明）。点击单位查看其课程。",
        "en": "First sittings of normal exams in both terms of {ay} (see the definition). Click a unit to "
        "see its courses.",
    },
    "chart_pass_by_unit": {"zh": "首考通过率：按开课单位", "en": "Pass rate by teaching unit"},
    "drill_courses": {
        "zh": "{unit}：各课程首考通过率（由低到高）",
        "en": "{unit}: courses by pass rate (lowest first)",
    },
    "sec_risk": {"zh": "学业预警", "en": "Students at academic risk"},
    "sec_risk_note": {
        "zh": "一个学期内不及格学分超过规定上限的学生人数，按单位、学期统计。",
        "en": "Students whose failed credits in a term exceed the configured limit, by unit and term.",
    },
    "chart_risk": {"zh": "学业预警人数：按单位", "en": "Students at risk by unit"},
    "card_at_risk": {"zh": "学业预警人数", "en": "Students at academic risk"},
    "card_at_risk_help": {
        "zh": "各学期不及格学分超过上限的学生人数之和（一人两学期均预警计两次）；参加考核 {assessed} 人次。",
        "en": "Students above the failed-credit limit, summed over terms (a student at risk in both terms "
        "counts twice); {assessed} student-terms assessed.",
    },
    "sec_grad": {"zh": "毕业、学位与去向", "en": "Graduates, degrees and destinations"},
    "sec_grad_note": {
        "zh": "{ay} 内毕业的学生；学位授予率只计可授学位层次（本科、硕士）。",
        "en": "Students graduating in {ay}; the degree award rate counts degree-conferring levels "
        "(bachelor's, master's) only.",
    },
    "chart_placed_by_unit": {"zh": "毕业去向落实率：按单位", "en": "Placement rate by unit"},
    # -- faculty --------------------------------------------------------------------------------
    "faculty_title": {"zh": "师资", "en": "Faculty"},
    "faculty_caption": {
        "zh": "{ay} · 统计时点 {census} · {scope}",
        "en": "{ay} · census date {census} · {scope}",
    },
    "sec_fulltime": {"zh": "专任教师结构", "en": "Full-time teachers"},
    "sec_fulltime_note": {
        "zh": "统计时点 {census} 在岗的专任教师，按职称级别、学位、年龄段和单位。",
        "en": "Full-time teachers employed on the census date {census}, by title level, degree, age band "
        "and unit.",
    },
    "tab_by_title": {"zh": "按职称级别", "en": "By title level"},
    "tab_by_degree": {"zh": "按学位", "en": "By degree"},
    "tab_by_age": {"zh": "按年龄段", "en": "By age band"},
    "chart_teachers_by": {"zh": "专任教师：{by}", "en": "Full-time teachers {by}"},
    "axis_teachers": {"zh": "人", "en": "teachers"},
    "col_title_level": {"zh": "职称级别", "en": "Title level"},
    "col_degree": {"zh": "学位", "en": "Degree"},
    "col_age_band": {"zh": "年龄段", "en": "Age band"},
    "col_double": {"zh": "双师型", "en": "Double-qualified"},
    "col_fulltime_teachers": {"zh": "专任教师数", "en": "Full-time teachers"},
    "col_external_teachers": {"zh": "聘请校外教师数", "en": "External teachers"},
    "col_teachers_total": {"zh": "教师总数", "en": "Teachers in total"},
    "col_str": {"zh": "生师比", "en": "Student-teacher ratio"},
    "col_staff_category": {"zh": "人员类别", "en": "Staff category"},
    "col_joiners": {"zh": "入职", "en": "Joiners"},
    "col_leavers": {"zh": "离职", "en": "Leavers"},
    "sec_external": {"zh": "聘请校外教师", "en": "External teachers"},
    "chart_external": {"zh": "聘请校外教师：按单位", "en": "External teachers by unit"},
    "sec_str": {"zh": "生师比：按单位", "en": "Student-teacher ratio by unit"},
    "sec_str_note": {
        "zh": "单位折合在校生数 ÷（专任教师 + 0.5 × 校外教师）；虚线为全校合格线与限制招生线。",
        "en": "A unit's FTE students over (full-time + 0.5 × external teachers); the dashed lines are the "
        "college's pass and enrolment-limiting lines.",
    },
    "chart_str": {"zh": "生师比：按单位", "en": "Student-teacher ratio by unit"},
    "sec_double": {"zh": "双师型教师", "en": "Double-qualified teachers"},
    "chart_double": {"zh": "双师型教师比例：按单位", "en": "Share of double-qualified teachers by unit"},
    "sec_staff_flows": {"zh": "教职工入职与离职", "en": "Staff joiners and leavers"},
    "sec_staff_flows_note": {
        "zh": "按自然年统计；可按人员类别查看。",
        "en": "By calendar year; choose a staff category to narrow it.",
    },
    "chart_staff_flows": {"zh": "入职与离职人数（按年）", "en": "Joiners and leavers per year"},
    "staff_category_label": {"zh": "人员类别", "en": "Staff category"},
    "all_categories": {"zh": "全部类别", "en": "All categories"},
    "drill_unit_faculty": {"zh": "{unit}：专任教师结构", "en": "{unit}: full-time teachers"},
    # -- finance --------------------------------------------------------------------------------
    "finance_title": {"zh": "财务", "en": "Finance"},
    "finance_caption": {
        "zh": "{fy} 预算与支出 · {ay} 学费 · {scope}",
        "en": "{fy} budget and spending · {ay} tuition · {scope}",
    },
    "sec_budget": {"zh": "预算执行", "en": "Budget execution"},
    "sec_budget_note": {
        "zh": "累计支出与全年预算比较；“时间进度线”为全年预算按月份平均分摊。点击单位查看其经济分类明细。",
        "en": "Cumulative spending against the year's budget; the “time line” spreads the annual budget "
        "evenly over the months. Click a unit to see its economic classes.",
    },
    "chart_budget_month": {"zh": "{fy}累计支出与预算", "en": "{fy} cumulative spending against the budget"},
    "series_cumulative": {"zh": "累计支出", "en": "Cumulative spending"},
    "series_budget": {"zh": "全年预算", "en": "Annual budget"},
    "series_time_line": {"zh": "时间进度线", "en": "Time line"},
    "axis_month": {"zh": "月份", "en": "Month"},
    "chart_exec_by_unit": {"zh": "预算执行率：按单位", "en": "Budget execution by unit"},
    "col_month": {"zh": "月份", "en": "Month"},
    "col_econ_class": {"zh": "经济分类", "en": "Economic class"},
    "col_econ_code": {"zh": "经济分类编码", "en": "Economic class code"},
    "col_budget": {"zh": "预算（元）", "en": "Budget (yuan)"},
    "col_expenditure": {"zh": "支出（元）", "en": "Expenditure (yuan)"},
    "col_cumulative": {"zh": "累计支出（元）", "en": "Cumulative expenditure (yuan)"},
    "col_exec_rate": {"zh": "执行率", "en": "Execution rate"},
    "col_bills": {"zh": "账单数", "en": "Bills"},
    "col_due": {"zh": "应收（元）", "en": "Due (yuan)"},
    "col_waived": {"zh": "减免（元）", "en": "Waived (yuan)"},
    "col_paid": {"zh": "实收（元）", "en": "Paid (yuan)"},
    "col_arrears": {"zh": "欠费（元）", "en": "Arrears (yuan)"},
    "col_collection_rate": {"zh": "收缴率", "en": "Collection rate"},
    "col_fulltime_students": {"zh": "全日制在校生数", "en": "Full-time students"},
    "col_per_student": {"zh": "生均支出（元）", "en": "Per student (yuan)"},
    "sec_econ": {"zh": "支出结构与人员支出比率", "en": "Spending by economic class and the personnel ratio"},
    "sec_econ_note": {
        "zh": "按政府支出经济分类；人员支出 = 301 工资福利支出 + 303 对个人和家庭的补助。",
        "en": "By government economic class; personnel spending is 301 wages and benefits plus 303 payments "
        "to individuals and families.",
    },
    "chart_econ": {"zh": "{fy}支出：按经济分类", "en": "{fy} spending by economic class"},
    "sec_tuition": {"zh": "学费收缴与欠费", "en": "Tuition collection and arrears"},
    "sec_tuition_note": {
        "zh": "{ay} 学费账单（不含已退费），按单位和年级。",
        "en": "Tuition bills of {ay} (refunded bills excluded), by unit and cohort.",
    },
    "chart_collection": {"zh": "学费收缴率：按单位", "en": "Tuition collection rate by unit"},
    "chart_arrears_cohort": {"zh": "欠费：按年级", "en": "Arrears by cohort"},
    "sec_per_student": {"zh": "生均支出", "en": "Expenditure per student"},
    "sec_per_student_note": {
        "zh": "{fy}支出 ÷ {ay} 全日制在校生数；单位数据只计该单位的支出与学生。",
        "en": "{fy} spending over {ay} full-time students; per unit, that unit's spending and students only.",
    },
    "chart_per_student": {"zh": "生均支出：按单位", "en": "Expenditure per student by unit"},
    "axis_wan_yuan": {"zh": "万元", "en": "million yuan"},
    "axis_yuan": {"zh": "元", "en": "yuan"},
    "axis_rate": {"zh": "比例", "en": "Rate"},
    "axis_ratio": {"zh": "生师比", "en": "ratio"},
    # -- SQL page (dashboards/analyst_sql.py) ---------------------------------------------------
    "page_sql": {"zh": "分析查询", "en": "SQL"},
    "sql_title": {"zh": "分析查询（只读 SQL）", "en": "Ad-hoc SQL (read-only)"},
    "sql_caption": {
        "zh": "在已发布的服务快照上运行只读 SQL（DuckDB 语法；个人信息已脱敏，不含受限明细表）。"
        "只允许一条读语句（SELECT、WITH、DESCRIBE、SHOW、SUMMARIZE、EXPLAIN）；不能读写文件、"
        "ATTACH 其他数据库或加载扩展。最多返回 {max_limit} 行，最长运行 {max_timeout} 秒。",
        "en": "Read-only SQL (DuckDB dialect) on the published serving snapshot: personal data "
        "masked, restricted person-level tables absent. One read statement only (SELECT, WITH, "
        "DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); no file access, no ATTACH, no extensions. At most "
        "{max_limit} rows and {max_timeout} s per query.",
    },
    "sql_query_label": {"zh": "SQL 语句", "en": "SQL statement"},
    "sql_query_help": {
        "zh": "表名写作 schema.table，例如 marts.agg_student_census；右侧列出全部表和字段说明。",
        "en": "Name tables as schema.table, e.g. marts.agg_student_census; the list on the right "
        "shows every table and column with its description.",
    },
    "sql_limit_label": {"zh": "最多返回行数", "en": "Row limit"},
    "sql_timeout_label": {"zh": "超时（秒）", "en": "Timeout (s)"},
    "sql_timeout_help": {
        "zh": "超过此时间的查询会被中断。",
        "en": "A query still running after this many seconds is interrupted.",
    },
    "sql_run": {"zh": "运行", "en": "Run"},
    "sql_running": {"zh": "正在查询……", "en": "Running the query…"},
    "sql_error_title": {"zh": "查询未能执行", "en": "The query could not run"},
    "sql_timeout_title": {"zh": "查询超时，已中断", "en": "The query timed out and was interrupted"},
    "sql_no_result_set": {"zh": "该语句没有返回结果集。", "en": "The statement returned no result set."},
    "sql_rows": {"zh": "{n} 行，用时 {s} 秒", "en": "{n} rows in {s} s"},
    "sql_truncated": {
        "zh": "结果超过 {limit} 行，只显示前 {limit} 行（可调高行数上限）",
        "en": "more than {limit} rows: the first {limit} are shown (raise the row limit for more)",
    },
    "sql_tables": {"zh": "表和字段", "en": "Tables and columns"},
    "sql_tables_note": {
        "zh": "说明来自数据字典（dbt 文档）；“[serving: …]”标出发布时脱敏的字段。",
        "en": "Descriptions come from the data dictionary (dbt docs); “[serving: …]” marks columns "
        "masked when published.",
    },
    "sql_col_table": {"zh": "表", "en": "Table"},
    "sql_col_columns": {"zh": "字段数", "en": "Columns"},
    "sql_col_column": {"zh": "字段", "en": "Column"},
    "sql_col_type": {"zh": "类型", "en": "Type"},
    "sql_col_description": {"zh": "说明", "en": "Description"},
    "sql_pick_table": {"zh": "查看字段", "en": "Columns of"},
}

# Names of codes (codes.md) for aggregates that carry no name column, and for English.
CODE_NAMES: dict[str, dict[str, dict[str, str]]] = {
    "level": {
        "1": {"zh": "本科", "en": "Undergraduate"},
        "2": {"zh": "专科", "en": "Junior college"},
        "3": {"zh": "硕士研究生", "en": "Master's"},
    },
    "study_mode": {
        "1": {"zh": "全日制", "en": "Full-time"},
        "2": {"zh": "业余（夜大）", "en": "Part-time evening"},
        "3": {"zh": "函授", "en": "Correspondence"},
    },
    "flow": {
        "entrant": {"zh": "新生入学", "en": "Entrants"},
        "11": {"zh": "休学", "en": "Leave"},
        "12": {"zh": "复学", "en": "Return"},
        "13": {"zh": "转专业", "en": "Change of major"},
        "14": {"zh": "退学", "en": "Withdrawal"},
        "15": {"zh": "保留学籍", "en": "Registration kept"},
        "16": {"zh": "开除", "en": "Expulsion"},
        "17": {"zh": "降级", "en": "Repeat year"},
        "18": {"zh": "转学（转出）", "en": "Transfer out"},
        "19": {"zh": "死亡", "en": "Death"},
        "20": {"zh": "取消入学资格", "en": "Admission cancelled"},
        "completion": {"zh": "结束学业（毕业、结业等）", "en": "Completion"},
    },
    "degree": {
        "2": {"zh": "博士", "en": "Doctorate"},
        "3": {"zh": "硕士", "en": "Master's"},
        "4": {"zh": "学士", "en": "Bachelor's"},
        "": {"zh": "无学位", "en": "No degree"},
    },
    "title_level": {
        "正高": {"zh": "正高", "en": "Senior, full"},
        "副高": {"zh": "副高", "en": "Senior, deputy"},
        "中级": {"zh": "中级", "en": "Intermediate"},
        "初级": {"zh": "初级", "en": "Junior"},
        "未定职级": {"zh": "未定职级", "en": "Unrated"},
    },
    "staff_category": {
        "01": {"zh": "专任教师", "en": "Full-time teachers"},
        "02": {"zh": "行政人员", "en": "Administrative"},
        "03": {"zh": "教辅人员", "en": "Teaching support"},
        "04": {"zh": "工勤人员", "en": "Service"},
        "05": {"zh": "科研人员", "en": "Research"},
    },
    "econ_class": {
        "301": {"zh": "工资福利支出", "en": "Wages and benefits"},
        "302": {"zh": "商品和服务支出", "en": "Goods and services"},
        "303": {"zh": "对个人和家庭的补助", "en": "Payments to individuals and families"},
        "310": {"zh": "资本性支出", "en": "Capital expenditure"},
    },
    "bool": {
        "True": {"zh": "是", "en": "yes"},
        "False": {"zh": "否", "en": "no"},
        "true": {"zh": "是", "en": "yes"},
        "false": {"zh": "否", "en": "no"},
        "1": {"zh": "是", "en": "yes"},
        "0": {"zh": "否", "en": "no"},
    },
}

# Indicator names as kpis.md gives them, used when the snapshot's dim_kpi lacks a name.
KPI_NAMES: dict[str, dict[str, str]] = {
    "registered_students": {"zh": "在校生数", "en": "Registered students"},
    "fulltime_students": {"zh": "全日制在校生数", "en": "Full-time students"},
    "fte_students": {"zh": "折合在校生数", "en": "Full-time-equivalent students"},
    "fulltime_teachers": {"zh": "专任教师数", "en": "Full-time teachers"},
    "external_teachers": {"zh": "聘请校外教师数", "en": "External teachers"},
    "teachers_total": {"zh": "教师总数", "en": "Teachers in total"},
    "student_teacher_ratio": {"zh": "生师比", "en": "Student-teacher ratio"},
    "pct_teachers_postgrad_degree": {
        "zh": "具有研究生学位教师占专任教师比例",
        "en": "Share of full-time teachers with a postgraduate degree",
    },
    "pct_teachers_senior_title": {
        "zh": "具有高级职务教师占专任教师比例",
        "en": "Share of full-time teachers with a senior title",
    },
    "pct_teachers_double_qualified": {"zh": "双师型教师比例", "en": "Share of double-qualified teachers"},
    "entrants": {"zh": "新增学生", "en": "Entrants"},
    "leavers": {"zh": "离校(退学等)", "en": "Leavers (withdrawal etc.)"},
    "completions": {"zh": "结束学业", "en": "Completions"},
    "first_attempt_pass_rate": {"zh": "课程首考通过率", "en": "First-attempt pass rate"},
    "graduates": {"zh": "毕业生数", "en": "Graduates"},
    "degree_award_rate": {"zh": "学位授予率", "en": "Degree award rate"},
    "employment_rate": {"zh": "毕业去向落实率", "en": "Graduate placement rate"},
    "withdrawal_rate": {"zh": "退学率", "en": "Withdrawal rate"},
    "budget_total": {"zh": "预算总额", "en": "Total budget"},
    "expenditure_total": {"zh": "实际支出", "en": "Total expenditure"},
    "budget_execution_rate": {"zh": "预算支出执行率", "en": "Budget execution rate"},
    "personnel_expenditure_ratio": {"zh": "人员支出比率", "en": "Personnel expenditure ratio"},
    "tuition_collection_rate": {"zh": "学费收缴率", "en": "Tuition collection rate"},
    "expenditure_per_student": {"zh": "生均支出", "en": "Expenditure per student"},
}


def normalize_lang(value: object) -> Lang:
    """A supported language code, or the default for anything else."""
    return value if value in LANGS else DEFAULT_LANG  # type: ignore[return-value]


def t(key: str, lang: str, /, **fields: object) -> str:
    """The string ``key`` in ``lang``, with ``{fields}`` filled in."""
    text = STRINGS[key][normalize_lang(lang)]
    return text.format(**fields) if fields else text


def kpi_name(kpi_id: str, lang: str) -> str:
    """The catalogue name of an indicator (the id itself for an id not in kpis.md)."""
    names = KPI_NAMES.get(kpi_id)
    return names[normalize_lang(lang)] if names else kpi_id
