"""Strings of the Data quality page and the stewards' xlsx export, Chinese (default) and English.

Kept apart from :mod:`dashboards.i18n` (the leadership pages' strings) so the two evolve without
stepping on each other; ``qt`` falls back to :func:`dashboards.i18n.t` for shared keys.  A missing
key raises ``KeyError`` (the tests render the page in both languages).
"""

from __future__ import annotations

from dashboards.i18n import STRINGS as _SHARED
from dashboards.i18n import t as _t

QSTRINGS: dict[str, dict[str, str]] = {
    "quality_title": {"zh": "数据质量", "en": "Data quality"},
    "quality_caption": {
        "zh": "最近一次检查：运行 {run}（{ts}），共 {rules} 条规则。数据来自数据管理员专用的质量快照。",
        "en": "Latest check: run {run} ({ts}), {rules} rules. Read from the stewards' restricted quality snapshot.",
    },
    "viewer_all": {
        "zh": "当前视图：全部业务系统（未设置数据管理员角色），个人信息已遮蔽。",
        "en": "Your view: all source systems (no data-steward role set); personal fields are masked.",
    },
    "viewer_owner": {
        "zh": "当前视图：{office}（数据管理员），仅显示本部门负责的系统，个人信息不遮蔽。",
        "en": "Your view: {office} (data steward): your own systems only, personal fields shown.",
    },
    "viewer_help": {
        "zh": "角色由服务器配置 CAMPUS_DW_VIEWER_STEWARD 决定（见 docs/quality-reports.md）。",
        "en": "The role comes from the server setting CAMPUS_DW_VIEWER_STEWARD (docs/quality-reports.md).",
    },
    "no_quality_title": {"zh": "还没有数据质量结果", "en": "No quality results yet"},
    "no_quality_body": {
        "zh": "数据质量页只读取流水线发布的质量快照，目前还没有。请运行流水线（检查会随每次运行执行）：",
        "en": "This page reads only the quality snapshot that the pipeline publishes, and there is none yet. "
        "Run the pipeline (the checks run with every run):",
    },
    "no_results": {
        "zh": "质量快照中没有检查结果（quality.check_results 为空）。",
        "en": "The quality snapshot holds no check results (quality.check_results is empty).",
    },
    "quality_stale": {
        "zh": "质量检查结果已超过 {hours} 小时未更新（已 {age}）。最近的运行可能失败。",
        "en": "The quality results are more than {hours} hours old ({age}). Recent runs may have failed.",
    },
    # cards
    "m_rules_checked": {"zh": "已检查规则", "en": "Rules checked"},
    "m_rules_failed": {"zh": "未通过规则", "en": "Rules failing"},
    "m_failed_rows": {"zh": "问题记录数", "en": "Failed rows"},
    "m_failure_rate": {"zh": "问题率", "en": "Failure rate"},
    "m_quarantined": {"zh": "隔离中的记录", "en": "Rows in quarantine"},
    "m_rules_failed_help": {
        "zh": "阻断 {blocking} · 错误 {error} · 警告 {warn}",
        "en": "blocking {blocking} · error {error} · warn {warn}",
    },
    "m_failed_rows_help": {
        "zh": "各规则问题记录数之和（一条记录违反两条规则计两次），与 campus-dw quality 一致。",
        "en": "Sum of the failed rows of every rule (a row failing two rules counts twice), as campus-dw quality reports.",
    },
    "m_failure_rate_help": {
        "zh": "问题记录数 ÷ 检查记录数（按规则累计）。",
        "en": "Failed row-checks ÷ checked row-checks, over all rules.",
    },
    # sections
    "sec_scorecard": {"zh": "质量记分卡（最近一次运行）", "en": "Scorecard (latest run)"},
    "tab_system": {"zh": "按系统", "en": "By system"},
    "tab_table": {"zh": "按数据表", "en": "By table"},
    "tab_owner": {"zh": "按数据管理部门", "en": "By steward"},
    "sec_trends": {"zh": "历次运行趋势", "en": "Trends over runs"},
    "trend_system_caption": {
        "zh": "各系统问题率（问题记录数 ÷ 检查记录数），按运行时间。增量运行只检查变化的记录。",
        "en": "Failure rate per system (failed ÷ checked row-checks) by run. Incremental runs check changed rows only.",
    },
    "trend_rules_label": {"zh": "查看规则的趋势", "en": "Rules to follow over runs"},
    "trend_one_run": {
        "zh": "目前只有一次运行的结果，趋势会在下一次运行后出现。",
        "en": "Only one run so far; trends appear after the next run.",
    },
    "sec_rules": {"zh": "规则检查结果（最近一次运行）", "en": "Rule results (latest run)"},
    "only_failing": {"zh": "只看未通过的规则", "en": "Failing rules only"},
    "sec_drill": {"zh": "问题明细与整改建议", "en": "Failing rows and fix guidance"},
    "drill_label": {"zh": "选择未通过的规则", "en": "Pick a failing rule"},
    "drill_none": {"zh": "最近一次运行所有规则均已通过。", "en": "Every rule passed in the latest run."},
    "what": {"zh": "问题是什么", "en": "What it is"},
    "why": {"zh": "为什么重要", "en": "Why it matters"},
    "how": {"zh": "如何整改", "en": "How to fix it"},
    "quirk": {"zh": "已知的源系统特点：{text}", "en": "Known quirk of the source: {text}"},
    "contract_file": {"zh": "数据契约：{path}", "en": "Data contract: {path}"},
    "no_guidance": {
        "zh": "当前数据契约中已没有这条规则，无整改建议。",
        "en": "No contract holds this rule any more: no fix guidance.",
    },
    "rows_shown": {
        "zh": "显示 {shown} / {total} 条问题记录（完整清单见下方导出或 xlsx 问题清单）。",
        "en": "Showing {shown} of {total} failing rows (the downloads and the xlsx export hold them all).",
    },
    "masked_note": {
        "zh": "个人信息（姓名、证件号、电话、出生日期、金额等）已遮蔽，仅负责该系统的数据管理员可见。",
        "en": "Personal fields (names, ID numbers, phones, birth dates, amounts, ...) are masked; "
        "only the steward who owns the system sees them.",
    },
    "sec_quarantine": {"zh": "隔离区（未能入库的记录）", "en": "Quarantine (rows that could not be landed)"},
    "quarantine_none": {"zh": "隔离区中没有待处理的记录。", "en": "No open rows in quarantine."},
    "quarantine_caption": {
        "zh": "隔离记录不会进入数据仓库，需在源系统中更正后由下一次运行重新抽取。",
        "en": "Quarantined rows stay out of the warehouse until they are corrected in the source and the next run extracts them.",
    },
    "sec_export": {"zh": "导出整改清单（xlsx）", "en": "Export open problems (xlsx)"},
    "export_caption": {
        "zh": "每个数据管理部门一个工作簿：概况、未通过规则及整改建议、问题记录、隔离记录，可直接发送给业务系统主管部门。",
        "en": "One workbook per steward: summary, failing rules with fix guidance, failing rows and quarantined rows, "
        "ready to send to the source system's office.",
    },
    "export_button": {"zh": "{office}问题清单", "en": "{office} open problems"},
    "export_counts": {
        "zh": "{rules} 条未通过规则 · {rows} 条问题记录 · {quarantined} 条隔离记录",
        "en": "{rules} failing rules · {rows} failed rows · {quarantined} quarantined rows",
    },
    "data_docs": {
        "zh": "本次运行的 Great Expectations 数据文档：{path}",
        "en": "Great Expectations Data Docs of this run: {path}",
    },
    # columns
    "col_system": {"zh": "系统", "en": "System"},
    "col_table": {"zh": "数据表", "en": "Table"},
    "col_table_desc": {"zh": "表说明", "en": "Table description"},
    "col_owner": {"zh": "数据管理部门", "en": "Steward"},
    "col_rule": {"zh": "规则编号", "en": "Rule"},
    "col_rule_desc": {"zh": "规则说明", "en": "Rule description"},
    "col_column": {"zh": "字段", "en": "Column"},
    "col_severity": {"zh": "严重程度", "en": "Severity"},
    "col_status": {"zh": "状态", "en": "Status"},
    "col_rules_checked": {"zh": "检查规则数", "en": "Rules checked"},
    "col_rules_failed": {"zh": "未通过规则数", "en": "Rules failing"},
    "col_blocking_failed": {"zh": "阻断", "en": "Blocking"},
    "col_error_failed": {"zh": "错误", "en": "Error"},
    "col_warn_failed": {"zh": "警告", "en": "Warn"},
    "col_checked_rows": {"zh": "检查记录数", "en": "Checked rows"},
    "col_failed_rows": {"zh": "问题记录数", "en": "Failed rows"},
    "col_failure_rate": {"zh": "问题率", "en": "Failure rate"},
    "col_worst_severity": {"zh": "最高严重程度", "en": "Worst severity"},
    "col_sample_keys": {"zh": "问题记录示例（主键）", "en": "Sample failing keys"},
    "col_source_key": {"zh": "源记录主键", "en": "Source key"},
    "col_value": {"zh": "问题值", "en": "Value"},
    "col_reason": {"zh": "原因", "en": "Reason"},
    "col_run": {"zh": "运行编号", "en": "Run"},
    "col_checked_at": {"zh": "检查时间", "en": "Checked at"},
    "col_quarantine_id": {"zh": "隔离编号", "en": "Quarantine id"},
    "col_source_ref": {"zh": "源记录", "en": "Source row"},
    "col_record": {"zh": "原始内容", "en": "Record as delivered"},
    "col_quarantined_at": {"zh": "隔离时间", "en": "Quarantined at"},
    "col_what": {"zh": "问题是什么", "en": "What it is"},
    "col_why": {"zh": "为什么重要", "en": "Why it matters"},
    "col_how": {"zh": "如何整改", "en": "How to fix it"},
    # code names
    "sev_blocking": {"zh": "阻断", "en": "blocking"},
    "sev_error": {"zh": "错误", "en": "error"},
    "sev_warn": {"zh": "警告", "en": "warn"},
    "status_pass": {"zh": "通过", "en": "pass"},
    "status_fail": {"zh": "未通过", "en": "fail"},
    "status_error": {"zh": "无法执行", "en": "error"},
    "status_skipped": {"zh": "未检查", "en": "skipped"},
    "sys_academic": {"zh": "教务系统", "en": "Academic system"},
    "sys_hr": {"zh": "人事系统", "en": "HR system"},
    "sys_finance": {"zh": "财务系统", "en": "Finance system"},
    "sys_payment": {"zh": "统一支付平台", "en": "Payment platform"},
    "sys_marts": {"zh": "数据集市", "en": "Marts"},
    # workbook
    "wb_sheet_summary": {"zh": "概况", "en": "Summary"},
    "wb_sheet_rules": {"zh": "未通过规则", "en": "Failing rules"},
    "wb_sheet_rows": {"zh": "问题记录", "en": "Failing rows"},
    "wb_sheet_quarantine": {"zh": "隔离记录", "en": "Quarantine"},
    "wb_title": {"zh": "{office}数据质量问题清单", "en": "Data quality: open problems for the {office}"},
    "wb_institution": {"zh": "学校", "en": "Institution"},
    "wb_run": {"zh": "检查运行", "en": "Checked run"},
    "wb_checked_at": {"zh": "检查时间", "en": "Checked at"},
    "wb_snapshot": {"zh": "质量快照", "en": "Quality snapshot"},
    "wb_generated": {"zh": "导出时间", "en": "Exported at"},
    "wb_rules_failed": {"zh": "未通过规则", "en": "Failing rules"},
    "wb_failed_rows": {"zh": "问题记录", "en": "Failed rows"},
    "wb_quarantined": {"zh": "隔离记录（未处理）", "en": "Quarantined rows (open)"},
    "wb_by_severity": {"zh": "其中 阻断/错误/警告", "en": "of which blocking / error / warn"},
    "wb_masking": {"zh": "个人信息", "en": "Personal fields"},
    "wb_masked": {
        "zh": "已遮蔽（导出人不是该部门的数据管理员）",
        "en": "masked (exported by someone other than this office's steward)",
    },
    "wb_unmasked": {
        "zh": "未遮蔽，仅限本部门使用，请勿外传",
        "en": "not masked: for this office only, do not forward",
    },
    "wb_truncated": {
        "zh": "问题记录超过 {n} 条，仅导出前 {n} 条",
        "en": "more than {n} failing rows: the first {n} are exported",
    },
    "wb_how_to": {
        "zh": "请按“未通过规则”中的整改建议在业务系统中更正“问题记录”中的记录；更正后的数据会在下一次运行时重新检查。",
        "en": "Correct the rows of 'Failing rows' in the source system following the guidance in 'Failing rules'; "
        "the next run checks them again.",
    },
    "wb_by_table": {"zh": "按数据表", "en": "By table"},
}


def qt(key: str, lang: str, /, **fields: object) -> str:
    """A quality-page string (falls back to the shared dashboards strings)."""
    entry = QSTRINGS.get(key)
    if entry is None:
        if key in _SHARED:
            return _t(key, lang, **fields)
        raise KeyError(key)
    text = entry.get(lang) or entry["zh"]
    return text.format(**fields) if fields else text


def severity_name(sev: object, lang: str) -> str:
    return qt(f"sev_{sev}", lang) if f"sev_{sev}" in QSTRINGS else str(sev or "")


def status_name(status: object, lang: str) -> str:
    return qt(f"status_{status}", lang) if f"status_{status}" in QSTRINGS else str(status or "")


def system_name(system: object, lang: str) -> str:
    return qt(f"sys_{system}", lang) if f"sys_{system}" in QSTRINGS else str(system or "")
