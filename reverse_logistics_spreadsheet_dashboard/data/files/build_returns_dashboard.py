"""Writes returns_dashboard.json, the Returns spreadsheet dashboard, beside this script.

The spreadsheet is data: edit this script and run it (`python3 build_returns_dashboard.py`) rather than
the JSON, so that formulas, data sources and filters stay consistent. Not imported by the addon.
"""
import json
from pathlib import Path

# Global filters (fixed ids: data sources refer to them).
F_PERIOD = "5c1b6f9e-7b1a-4c34-9d33-0b7f1e0a0001"
F_WAREHOUSE = "5c1b6f9e-7b1a-4c34-9d33-0b7f1e0a0002"
F_COMPANY = "5c1b6f9e-7b1a-4c34-9d33-0b7f1e0a0003"
F_CATEG = "5c1b6f9e-7b1a-4c34-9d33-0b7f1e0a0004"

GLOBAL_FILTERS = [
    {"id": F_PERIOD, "type": "date", "label": "Period", "defaultValue": "last_six_months", "rangeType": "relative"},
    {"id": F_WAREHOUSE, "type": "relation", "label": "Warehouse", "modelName": "stock.warehouse",
     "defaultValue": [], "defaultValueDisplayNames": []},
    {"id": F_COMPANY, "type": "relation", "label": "Company", "modelName": "res.company",
     "defaultValue": [], "defaultValueDisplayNames": []},
    {"id": F_CATEG, "type": "relation", "label": "Product Category", "modelName": "product.category",
     "defaultValue": [], "defaultValueDisplayNames": [], "includeChildren": True},
]


def matching(date_field, date_type="datetime", warehouse="warehouse_id", company="company_id", categ="categ_id"):
    match = {F_PERIOD: {"chain": date_field, "type": date_type, "offset": 0}}
    if warehouse:
        match[F_WAREHOUSE] = {"chain": warehouse, "type": "many2one"}
    match[F_COMPANY] = {"chain": company, "type": "many2one"}
    match[F_CATEG] = {"chain": categ, "type": "many2one"}
    return match


ANALYSIS = matching("date_request")
RATES = matching("month", date_type="date", warehouse=None)  # moves per month carry no warehouse
GRADING = matching("date_dispositioned")
GRADING_DOMAIN = [["previous_grading_id", "=", False], ["state", "!=", "graded"]]


def measure(field, aggregator="sum"):
    return {"id": f"{field}:{aggregator}", "fieldName": field, "aggregator": aggregator}


RETURNS = measure("order_id", "count_distinct")
PIVOTS = {}


def pivot(pid, name, model, rows, measures, fields_matching, domain=(), sort=None, action=None):
    PIVOTS[pid] = {
        "type": "ODOO", "id": pid, "formulaId": pid, "name": name, "model": model,
        "domain": list(domain), "context": {}, "rows": rows, "columns": [], "measures": measures,
        "fieldMatching": fields_matching,
        **({"sortedColumn": {"groupId": [[], []], "measure": sort, "order": "desc"}} if sort else {}),
        **({"actionXmlId": action} if action else {}),
    }


ANALYSIS_ACTION = "reverse_logistics.action_return_analysis"
MONTH = [{"fieldName": "date_request", "granularity": "month"}]
pivot("1", "Key figures", "return.analysis", [], [
    RETURNS, measure("qty_requested"), measure("qty_received"), measure("refund_amount"),
    measure("recovery_value"), measure("net_recovery"), measure("return_cost"),
    measure("days_to_resolution", "avg"), measure("days_to_processed", "avg"),
    measure("weight_processed"), measure("weight_diverted"), measure("co2_avoided_kg"),
    measure("qty_kept"), measure("kept_value"),
], ANALYSIS, action=ANALYSIS_ACTION)
pivot("2", "Return rate by month", "return.product.rate.report", [{"fieldName": "month", "granularity": "month"}],
      [measure("qty_delivered"), measure("qty_returned")], RATES,
      action="reverse_logistics.action_return_product_rate_report")
pivot("3", "Return rate by product category", "return.product.rate.report", [{"fieldName": "categ_id"}],
      [measure("qty_returned"), measure("qty_delivered")], RATES, sort="qty_returned:sum",
      action="reverse_logistics.action_return_product_rate_report")
pivot("4", "Top return reasons", "return.analysis", [{"fieldName": "reason_id"}],
      [measure("qty_requested"), RETURNS], ANALYSIS, sort="qty_requested:sum", action=ANALYSIS_ACTION)
pivot("5", "Disposition mix", "return.grading", [{"fieldName": "disposition_id"}],
      [measure("quantity"), measure("recovery_value")], GRADING, domain=GRADING_DOMAIN, sort="quantity:sum",
      action="reverse_logistics.action_return_grading_analysis")
pivot("6", "Refunded and recovered by month", "return.analysis", MONTH,
      [measure("refund_amount"), measure("recovery_value"), measure("net_recovery")], ANALYSIS,
      action=ANALYSIS_ACTION)
pivot("7", "Request to resolution", "return.analysis", [{"fieldName": "resolution_bucket"}], [RETURNS],
      ANALYSIS, action=ANALYSIS_ACTION)
pivot("8", "Receipt to processed", "return.analysis", [{"fieldName": "processing_bucket"}], [RETURNS],
      ANALYSIS, action=ANALYSIS_ACTION)
pivot("9", "Environment by month", "return.analysis", MONTH,
      [measure("weight_processed"), measure("weight_diverted"), measure("co2_avoided_kg")], ANALYSIS,
      action=ANALYSIS_ACTION)
pivot("10", "Expected vs realised recovery", "return.recovery.estimate.report", [{"fieldName": "disposition_id"}],
      [measure("expected_amount"), measure("realised_amount"), measure("difference_amount")],
      matching("date_submitted", warehouse=None), sort="expected_amount:sum",
      action="reverse_logistics.action_return_recovery_estimate_report")

LISTS = {
    "1": {"id": "1", "name": "CO2e factors of the dispositions", "model": "return.disposition",
          "columns": ["name", "environmental_outcome", "co2_factor"], "domain": [], "context": {},
          "orderBy": [{"name": "co2_factor", "asc": True}], "fieldMatching": {}},
}

# Styles and formats referenced by id from the cells.
STYLES = {
    "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
    "2": {"bold": True, "fontSize": 11, "textColor": "#434343", "fillColor": "#f2f2f2"},
    "3": {"textColor": "#434343", "verticalAlign": "middle", "align": "left"},
    "4": {"textColor": "#6c757d", "fontSize": 9, "verticalAlign": "middle"},
    "5": {"bold": True, "fontSize": 12, "textColor": "#01666b"},
}
FORMATS = {"1": "#,##0.00", "2": "0.0%", "3": "#,##0", "4": "#,##0.0"}

cells, styles, formats = {}, {}, {}
figures = []
chart_menus = {}


def put(ref, content, style=None, fmt=None):
    cells[ref] = {"content": content}
    if style:
        styles[ref] = int(style)
    if fmt:
        formats[ref] = int(fmt)


def link(title, model, view_type="list", domain=(), group_by=(), action_name=None):
    action = {
        "domain": list(domain), "context": {"group_by": list(group_by)}, "modelName": model,
        "views": [[False, "graph"], [False, "pivot"], [False, "list"], [False, "search"]],
    }
    target = {"viewType": view_type, "action": action, "threshold": 0, "name": action_name or title}
    return f"[{title}](odoo://view/{json.dumps(target, separators=(',', ':'))})"


def header_row(row, *titles):
    for col, title in zip("ABCDE"[:len(titles)], titles, strict=True):
        put(f"{col}{row}", title, style=2)


FIG = {"n": 0}


def figure(row, data, height=10, x=830, width=450):
    FIG["n"] += 1
    fid = f"7a3f0c52-1d2e-4b8f-9e0a-{FIG['n']:012d}"
    figures.append({"id": fid, "x": x, "y": (row - 1) * 23, "width": width, "height": height * 23,
                    "tag": "chart", "data": data})
    if data["type"].startswith("odoo_"):
        chart_menus[fid] = "reverse_logistics.menu_return_analysis"
    return fid


def odoo_chart(row, kind, model, group_by, measure_name, fields_matching, domain=(), title=""):
    mode = kind.removeprefix("odoo_")
    return figure(row, {
        "type": kind, "title": {"text": title}, "background": "#FFFFFF",
        "legendPosition": "none" if mode != "pie" else "right",
        "metaData": {"groupBy": group_by, "measure": measure_name, "order": None, "resModel": model, "mode": mode},
        "searchParams": {"comparison": None, "context": {}, "domain": list(domain), "groupBy": group_by,
                         "orderBy": []},
        "verticalAxisPosition": "left", "stacked": False, "fieldMatching": fields_matching,
        **({"fillArea": False} if mode == "line" else {}),
    })


def range_chart(row, kind, label_range, data_ranges, title=""):
    return figure(row, {
        "type": kind, "title": {"text": title}, "background": "#FFFFFF",
        "legendPosition": "top" if len(data_ranges) > 1 else "none",
        "dataSetsHaveTitle": True, "dataSets": [{"dataRange": r} for r in data_ranges],
        "labelRange": label_range, "stacked": False, "aggregated": False, "labelsAsText": True,
    })


put("A1", "Returns", style=1)
put("A2", "Click a figure to open the records behind it. Filters: period (request date; month of the moves for "
    "return rates; disposition date for the disposition mix), warehouse, company, product category.", style=4)

# Key figures: value cells are pivot values (click: the records), the third column says how each is computed.
row = 4
put(f"A{row}", link("Key figures", "return.analysis", action_name="Return Analysis"), style=5)
header_row(row + 1, "Metric", "Value", "How it is computed")
KPIS = [
    ("Returns", '=PIVOT.VALUE(1,"order_id:count_distinct")', 3,
     "Returns submitted in the period (request date), cancelled ones left out."),
    ("Units requested", '=PIVOT.VALUE(1,"qty_requested:sum")', 4, "Sum of the quantities asked back."),
    ("Units received", '=PIVOT.VALUE(1,"qty_received:sum")', 4, "Sum of the quantities received in triage."),
    ("Return rate (units)", "=D30", 2,
     "Units returned / units delivered to customers in the months of the period (done stock moves)."),
    ("Refunded (untaxed)", '=PIVOT.VALUE(1,"refund_amount:sum")', 1,
     "Posted credit notes of the returns, net of restocking fees, company currency."),
    ("Recovered value", '=PIVOT.VALUE(1,"recovery_value:sum")', 1,
     "Graded unit value x the disposition's value realized (resale, liquidation, scrap value)."),
    ("Net recovery", '=PIVOT.VALUE(1,"net_recovery:sum")', 1, "Recovered value less processing costs."),
    ("Return cost", '=PIVOT.VALUE(1,"return_cost:sum")', 1, "Refunded less net recovery."),
    ("Request to resolution (days)", '=PIVOT.VALUE(1,"days_to_resolution:avg")', 4,
     "Average over resolved return lines of the days from request to credit note, store credit or replacement."),
    ("Receipt to processed (days)", '=PIVOT.VALUE(1,"days_to_processed:avg")', 4,
     "Average over processed return lines of the days from first receipt to the last disposition's end."),
    ("Landfill diversion", "=IFERROR(B18/B17,\"\")", 2,
     "Weight diverted (reused or recycled) / weight dispositioned."),
    ("Weight dispositioned (kg)", '=PIVOT.VALUE(1,"weight_processed:sum")', 4,
     "Product weight x units dispositioned (first gradings)."),
    ("Weight diverted from landfill (kg)", '=PIVOT.VALUE(1,"weight_diverted:sum")', 4,
     "Weight dispositioned less weight sent to landfill."),
    ("CO2e avoided (kg)", '=PIVOT.VALUE(1,"co2_avoided_kg:sum")', 4,
     "-(weight x the disposition's kg CO2e per kg), factors below; negative: more emitted than saved."),
]
for i, (label, formula, fmt, how) in enumerate(KPIS):
    r = row + 2 + i
    put(f"A{r}", label, style=3)
    put(f"B{r}", formula, fmt=fmt)
    put(f"C{r}", how, style=4)
assert row + 2 + len(KPIS) - 1 == 19  # the rate and diversion formulas above point at rows 17, 18 and 30

put("A20", link("CO2e factors used (kg CO2e per kg of product)", "return.disposition",
                action_name="Dispositions"), style=5)
header_row(21, "Disposition", "Outcome", "kg CO2e / kg")
for i in range(7):
    put(f"A{22 + i}", f'=ODOO.LIST(1,{i + 1},"name")', style=3)
    put(f"B{22 + i}", f'=ODOO.LIST(1,{i + 1},"environmental_outcome")', style=3)
    put(f"C{22 + i}", f'=ODOO.LIST(1,{i + 1},"co2_factor")', fmt=1)

# Return rate per month: delivered and returned are pivot values, the rate a formula; chart beside.
row = 31
put("A29", link("Return rate per month", "return.product.rate.report", action_name="Return Rate by Product"), style=5)
put("B30", '=PIVOT.VALUE(2,"qty_returned:sum")', fmt=4)
put("C30", '=PIVOT.VALUE(2,"qty_delivered:sum")', fmt=4)
put("A30", "All months", style=3)
put("D30", "=IFERROR(B30/C30,\"\")", fmt=2)
header_row(row, "Month", "Returned", "Delivered", "Return rate")
for i in range(12):
    r = row + 1 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(2,"#month:month",{i + 1}),"")', style=3)
    put(f"B{r}", f'=IF(A{r}="","",PIVOT.VALUE(2,"qty_returned:sum","#month:month",{i + 1}))', fmt=4)
    put(f"C{r}", f'=IF(A{r}="","",PIVOT.VALUE(2,"qty_delivered:sum","#month:month",{i + 1}))', fmt=4)
    put(f"D{r}", f'=IFERROR(B{r}/C{r},"")', fmt=2)
range_chart(29, "line", f"Dashboard!A{row}:A{row + 12}", [f"Dashboard!D{row}:D{row + 12}"],
            title="Return rate per month")

row = 46
put(f"A{row}", link("Return rate per product category", "return.product.rate.report",
                    action_name="Return Rate by Product"), style=5)
header_row(row + 1, "Category", "Returned", "Delivered", "Return rate")
for i in range(10):
    r = row + 2 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(3,"#categ_id",{i + 1}),"")', style=3)
    put(f"B{r}", f'=IF(A{r}="","",PIVOT.VALUE(3,"qty_returned:sum","#categ_id",{i + 1}))', fmt=4)
    put(f"C{r}", f'=IF(A{r}="","",PIVOT.VALUE(3,"qty_delivered:sum","#categ_id",{i + 1}))', fmt=4)
    put(f"D{r}", f'=IFERROR(B{r}/C{r},"")', fmt=2)
range_chart(row, "bar", f"Dashboard!A{row + 1}:A{row + 11}", [f"Dashboard!D{row + 1}:D{row + 11}"],
            title="Return rate per product category")

row = 59
put(f"A{row}", link("Top return reasons", "return.analysis", action_name="Return Analysis"), style=5)
header_row(row + 1, "Reason", "Units", "Returns")
for i in range(8):
    r = row + 2 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(4,"#reason_id",{i + 1}),"")', style=3)
    put(f"B{r}", f'=IF(A{r}="","",PIVOT.VALUE(4,"qty_requested:sum","#reason_id",{i + 1}))', fmt=4)
    put(f"C{r}", f'=IF(A{r}="","",PIVOT.VALUE(4,"order_id:count_distinct","#reason_id",{i + 1}))', fmt=3)
odoo_chart(row, "odoo_pie", "return.analysis", ["reason_id"], "qty_requested", ANALYSIS,
           title="Units requested per reason")

row = 71
put(f"A{row}", link("Disposition mix", "return.grading", action_name="Recovery Analysis",
                    domain=GRADING_DOMAIN), style=5)
header_row(row + 1, "Disposition", "Units", "Recovered value")
for i in range(8):
    r = row + 2 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(5,"#disposition_id",{i + 1}),"")', style=3)
    put(f"B{r}", f'=IF(A{r}="","",PIVOT.VALUE(5,"quantity:sum","#disposition_id",{i + 1}))', fmt=4)
    put(f"C{r}", f'=IF(A{r}="","",PIVOT.VALUE(5,"recovery_value:sum","#disposition_id",{i + 1}))', fmt=1)
odoo_chart(row, "odoo_pie", "return.grading", ["disposition_id"], "quantity", GRADING, domain=GRADING_DOMAIN,
           title="Units per disposition")

row = 83
put(f"A{row}", link("Refunded vs recovered value", "return.analysis", action_name="Return Analysis"), style=5)
header_row(row + 1, "Month", "Refunded", "Recovered", "Net recovery")
for i in range(12):
    r = row + 2 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(6,"#date_request:month",{i + 1}),"")', style=3)
    for col, name in (("B", "refund_amount"), ("C", "recovery_value"), ("D", "net_recovery")):
        put(f"{col}{r}", f'=IF(A{r}="","",PIVOT.VALUE(6,"{name}:sum","#date_request:month",{i + 1}))', fmt=1)
range_chart(row, "bar", f"Dashboard!A{row + 1}:A{row + 13}",
            [f"Dashboard!B{row + 1}:B{row + 13}", f"Dashboard!C{row + 1}:C{row + 13}"],
            title="Refunded vs recovered per month")

row = 98
put(f"A{row}", link("Cycle times", "return.analysis", action_name="Return Analysis"), style=5)
header_row(row + 1, "Request to resolution", "Returns", "Receipt to processed", "Returns")
for i in range(6):
    r = row + 2 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(7,"#resolution_bucket",{i + 1}),"")', style=3)
    put(f"B{r}", f'=IF(A{r}="","",PIVOT.VALUE(7,"order_id:count_distinct","#resolution_bucket",{i + 1}))', fmt=3)
    put(f"C{r}", f'=IFERROR(PIVOT.HEADER(8,"#processing_bucket",{i + 1}),"")', style=3)
    put(f"D{r}", f'=IF(C{r}="","",PIVOT.VALUE(8,"order_id:count_distinct","#processing_bucket",{i + 1}))', fmt=3)
odoo_chart(row, "odoo_bar", "return.analysis", ["resolution_bucket"], "__count", ANALYSIS,
           title="Return lines per request-to-resolution time")

row = 110
put(f"A{row}", link("Landfill diversion and CO2e avoided", "return.analysis", action_name="Return Analysis"),
    style=5)
header_row(row + 1, "Month", "Dispositioned (kg)", "Diverted (kg)", "Diversion", "CO2e avoided (kg)")
for i in range(12):
    r = row + 2 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(9,"#date_request:month",{i + 1}),"")', style=3)
    put(f"B{r}", f'=IF(A{r}="","",PIVOT.VALUE(9,"weight_processed:sum","#date_request:month",{i + 1}))', fmt=4)
    put(f"C{r}", f'=IF(A{r}="","",PIVOT.VALUE(9,"weight_diverted:sum","#date_request:month",{i + 1}))', fmt=4)
    put(f"D{r}", f'=IFERROR(C{r}/B{r},"")', fmt=2)
    put(f"E{r}", f'=IF(A{r}="","",PIVOT.VALUE(9,"co2_avoided_kg:sum","#date_request:month",{i + 1}))', fmt=4)
range_chart(row, "line", f"Dashboard!A{row + 1}:A{row + 13}", [f"Dashboard!E{row + 1}:E{row + 13}"],
            title="CO2e avoided per month (kg)")

# Keep-the-item refunds (issue 26 item 2): credited, nothing came back.
row = 126
put(f"A{row}", link("Keep-the-item refunds", "return.analysis", domain=[["qty_kept", "!=", 0]],
                    action_name="Return Analysis"), style=5)
header_row(row + 1, "Metric", "Value", "How it is computed")
for i, (label, formula, fmt, how) in enumerate([
    ("Units kept by customers", '=PIVOT.VALUE(1,"qty_kept:sum")', 4,
     "Units credited that the customer keeps: the policy found bringing them back cost more than it recovers."),
    ("Refunded for kept units", '=PIVOT.VALUE(1,"kept_value:sum")', 1,
     "Posted credit notes of those units, untaxed, company currency."),
]):
    r = row + 2 + i
    put(f"A{r}", label, style=3)
    put(f"B{r}", formula, fmt=fmt)
    put(f"C{r}", how, style=4)

# Expected vs realised recovery (issue 26 items 1 and 6): the estimate frozen at the request against what the
# settled lines recovered, per disposition, so the rules and rates can be tuned from facts.
row = 131
put(f"A{row}", link("Expected vs realised recovery", "return.recovery.estimate.report",
                    action_name="Expected vs Realised Recovery"), style=5)
header_row(row + 1, "Disposition", "Expected", "Realised", "Difference")
r = row + 2
put(f"A{r}", "All settled lines", style=3)
put(f"B{r}", '=PIVOT.VALUE(10,"expected_amount:sum")', fmt=1)
put(f"C{r}", '=PIVOT.VALUE(10,"realised_amount:sum")', fmt=1)
put(f"D{r}", '=PIVOT.VALUE(10,"difference_amount:sum")', fmt=1)
for i in range(8):
    r = row + 3 + i
    put(f"A{r}", f'=IFERROR(PIVOT.HEADER(10,"#disposition_id",{i + 1}),"")', style=3)
    for col, field in (("B", "expected_amount"), ("C", "realised_amount"), ("D", "difference_amount")):
        put(f"{col}{r}", f'=IF(A{r}="","",PIVOT.VALUE(10,"{field}:sum","#disposition_id",{i + 1}))', fmt=1)
put(f"A{row + 11}", "Lines estimated from a graded history, once all their units are processed; realised is "
    "recovery value less processing cost of their first gradings. Negative difference: the estimate was high.",
    style=4)

sheet = {
    "id": "sheet1", "name": "Dashboard", "colNumber": 12, "rowNumber": 145,
    "rows": {}, "cols": {"0": {"size": 230}, "1": {"size": 150}, "2": {"size": 170}, "3": {"size": 130},
                         "4": {"size": 130}},
    "merges": [], "cells": cells, "styles": styles, "formats": formats, "borders": {},
    "conditionalFormats": [], "figures": figures, "tables": [], "areGridLinesVisible": False, "isVisible": True,
    "headerGroups": {"ROW": [], "COL": []}, "dataValidationRules": [], "comments": {},
}
spreadsheet = {
    "version": 21, "sheets": [sheet], "styles": STYLES, "formats": FORMATS, "borders": {},
    "revisionId": "START_REVISION", "uniqueFigureIds": True,
    "settings": {"locale": {"name": "English (US)", "code": "en_US", "thousandsSeparator": ",",
                            "decimalSeparator": ".", "dateFormat": "mm/dd/yyyy", "timeFormat": "hh:mm:ss",
                            "formulaArgSeparator": ",", "weekStart": 7}},
    "pivots": PIVOTS, "pivotNextId": len(PIVOTS) + 1, "customTableStyles": {}, "odooVersion": 12,
    "globalFilters": GLOBAL_FILTERS, "lists": LISTS, "listNextId": len(LISTS) + 1,
    "chartOdooMenusReferences": chart_menus,
}
out = Path(__file__).with_name("returns_dashboard.json")
out.write_text(json.dumps(spreadsheet, indent=1) + "\n")
print(f"wrote {out}: {len(cells)} cells, {len(PIVOTS)} pivots, {len(figures)} charts")
