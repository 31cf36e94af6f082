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
