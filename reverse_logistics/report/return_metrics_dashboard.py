from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models


class ReturnMetricsDashboard(models.TransientModel):
    """Reverse-logistics KPIs over a period, read from the Return Analysis and the return rate report."""

    _name = "return.metrics.dashboard"
    _description = "Reverse Logistics Dashboard"

    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=90))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")

    return_count = fields.Integer(
        compute="_compute_metrics", string="Returns",
        help="Returns requested in the period: submitted ones, rejected included, cancelled ones left out "
        "(the Return Analysis' rows).")
    units_returned = fields.Float(
        compute="_compute_metrics", digits="Product Unit of Measure",
        help="Units received back on returns in the period (done receipt moves of return lines).")
    units_delivered = fields.Float(
        compute="_compute_metrics", digits="Product Unit of Measure",
        help="Units delivered to customers in the period (done moves to a customer location, returns excluded).")
    return_rate = fields.Float(
        compute="_compute_metrics", string="Return Rate (%)",
        help="Units returned / units delivered in the months of the period, in %.")
    return_to_stock_rate = fields.Float(
        compute="_compute_metrics", string="Return-to-Stock Rate (%)",
        help="Units dispositioned to restock, repackage or refurbish / all units dispositioned (first gradings), "
        "of the returns requested in the period, in %.")
    cost_per_return = fields.Monetary(
        compute="_compute_metrics",
        help="Sum of the returns' cost (refund less net recovery) / number of returns closed (Done) "
        "among those requested in the period.")
    recovery_rate = fields.Float(
        compute="_compute_metrics", string="Recovery Rate (%)",
        help="Recovered value / graded value (unit value times quantity) of the dispositioned units of the "
        "returns requested in the period, in %.")
    recovery_value = fields.Monetary(
        compute="_compute_metrics", string="Recovered Value",
        help="Value recovered by the dispositions of the returns requested in the period: graded value times "
        "each disposition's value realized.")
    disposal_cost_per_unit = fields.Monetary(
        compute="_compute_metrics",
        help="Processing cost of the units recycled or disposed of / their number, for the returns requested "
        "in the period.")
    landfill_diversion_rate = fields.Float(
        compute="_compute_metrics", string="Landfill Diversion (%)",
        help="1 - weight sent to landfill / weight of all dispositioned units of the returns requested in the "
        "period, in %.")
    co2_kg = fields.Float(
        compute="_compute_metrics", string="CO2e Emitted (kg)",
        help="Sum over the dispositioned units of the returns requested in the period of weight times the "
        "disposition's factor "
        "'CO2e per kg' (negative factors are savings).")
    co2_avoided_kg = fields.Float(
        compute="_compute_metrics", string="CO2e Avoided (kg)",
        help="Emissions avoided by the dispositions of the returns requested in the period, in kg CO2 "
        "equivalent: minus the emitted "
        "figure. Each disposition's factor (kg CO2e per kg of product, set under Configuration > "
        "Dispositions) is negative when it saves emissions (reuse) and positive when it causes them.")
    co2_factors = fields.Char(
        compute="_compute_metrics", string="Factors Used",
        help="The 'CO2e per kg' factor of each disposition used on the returns requested in the period.")
    avg_time_to_resolution = fields.Float(
        compute="_compute_metrics", string="Request to Resolution (hours)",
        help="Average over the lines of the returns resolved among those requested in the period (as the "
        "Return Analysis averages) of the hours from the request to the credit note, store credit or "
        "replacement.")
    avg_time_to_processed = fields.Float(
        compute="_compute_metrics", string="Receipt to Processed (hours)",
        help="Average over the lines of the returns fully processed among those requested in the period (as "
        "the Return Analysis averages) of the hours from the first receipt to the end of the last "
        "disposition.")
    avg_days_to_resolution = fields.Float(
        compute="_compute_metrics", string="Request to Resolution (days)", digits=(16, 2),
        help="Request to resolution in days (hours / 24).")
    avg_days_to_processed = fields.Float(
        compute="_compute_metrics", string="Receipt to Processed (days)", digits=(16, 2),
        help="Receipt to processed in days (hours / 24).")
    units_kept = fields.Float(
        compute="_compute_metrics", string="Units Kept by Customers", digits="Product Unit of Measure",
        help="Units credited without coming back (keep-the-item refunds) on the returns requested in the period.")
    kept_value = fields.Monetary(
        compute="_compute_metrics", string="Refunded for Kept Units",
        help="Untaxed refund of the units customers kept (keep-the-item refunds), returns requested in the period.")
    top_products_html = fields.Html(compute="_compute_metrics", string="Return Rate by Product", sanitize=False)

    def _period_domain(self, field):
        self.ensure_one()
        return [
            (field, ">=", fields.Datetime.to_datetime(self.date_from)),
            (field, "<", fields.Datetime.to_datetime(self.date_to + timedelta(days=1))),
            ("company_id", "=", self.company_id.id),
        ]

    @api.depends("date_from", "date_to", "company_id")
    def _compute_metrics(self):
        """Every figure is an aggregate of `return.analysis` (one row per return line, the same rows the
        Returns spreadsheet and the analysis views read) over the returns requested in the period, and of
        `return.product.rate.report` for the return rate: one definition per KPI."""
        analysis = self.env["return.analysis"]
        # The analysis is a SQL view over returns, lines and gradings: their pending writes must reach the
        # tables first (the ORM flushes only the view's own fields before a read).
        self.env.flush_all()
        for dash in self:
            domain = dash._period_domain("date_request")
            [(
                return_count, processed, back, graded_value, recovery, disposed, disposal_cost,
                weight, landfill, co2, hours_resolution, hours_processed,
            )] = analysis._read_group(domain, [], [
                "order_id:count_distinct", "qty_processed:sum", "qty_back_to_stock:sum", "graded_value:sum",
                "recovery_value:sum", "qty_disposed:sum", "disposal_cost:sum", "weight_processed:sum",
                "weight_landfill:sum", "co2_avoided_kg:sum", "hours_to_resolution:avg",
                "hours_to_processed:avg",
            ])
            dash.return_count = return_count
            dash.return_to_stock_rate = 100.0 * back / processed if processed else 0.0
            dash.recovery_value = recovery
            dash.recovery_rate = 100.0 * recovery / graded_value if graded_value else 0.0
            dash.disposal_cost_per_unit = disposal_cost / disposed if disposed else 0.0
            dash.landfill_diversion_rate = 100.0 * (1 - landfill / weight) if weight else 0.0
            dash.co2_avoided_kg = co2
            dash.co2_kg = -co2
            [(done_count, done_cost)] = analysis._read_group(
                domain + [("state", "=", "done")], [], ["order_id:count_distinct", "return_cost:sum"])
            dash.cost_per_return = done_cost / done_count if done_count else 0.0
            [(units_kept, kept_value)] = analysis._read_group(domain, [], ["qty_kept:sum", "kept_value:sum"])
            dash.units_kept, dash.kept_value = units_kept, kept_value
            dash.avg_time_to_resolution = hours_resolution or 0.0
            dash.avg_time_to_processed = hours_processed or 0.0
            dash.avg_days_to_resolution = dash.avg_time_to_resolution / 24.0
            dash.avg_days_to_processed = dash.avg_time_to_processed / 24.0
            dispositions = analysis._read_group(domain + [("disposition_id", "!=", False)], ["disposition_id"])
            dash.co2_factors = ", ".join(
                f"{d.name}: {d.co2_factor:g}" for d in self.env["return.disposition"].union(
                    *(row[0] for row in dispositions)).sorted("name"))

            rates = self.env["return.product.rate.report"]._read_group(
                [("month", ">=", dash.date_from.replace(day=1)), ("month", "<=", dash.date_to),
                 ("company_id", "=", dash.company_id.id)],
                ["product_id"], ["qty_delivered:sum", "qty_returned:sum"],
            )
            delivered = sum(row[1] for row in rates)
            returned = sum(row[2] for row in rates)
            dash.units_delivered, dash.units_returned = delivered, returned
            dash.return_rate = 100.0 * returned / delivered if delivered else 0.0
            dash.top_products_html = dash._render_top_products(rates)

    def _render_top_products(self, rates, limit=10):
        rows = sorted(
            ((product, returned, delivered) for product, delivered, returned in rates if returned),
            key=lambda r: -(r[1] / r[2] if r[2] else 1.0),
        )[:limit]
        if not rows:
            return Markup("<p class='text-muted'>%s</p>") % self.env._("No returns in this period.")
        body = Markup("").join(
            Markup("<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                   "<td class='text-end'>%s</td></tr>") % (
                product.display_name, f"{delivered:g}", f"{returned:g}",
                f"{100.0 * returned / delivered:.1f} %" if delivered else "-",
            )
            for product, returned, delivered in rows
        )
        head = Markup("<tr><th>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th>"
                      "<th class='text-end'>%s</th></tr>") % (
            escape(self.env._("Product")), escape(self.env._("Delivered")),
            escape(self.env._("Returned")), escape(self.env._("Rate")))
        return Markup("<table class='table table-sm'><thead>%s</thead><tbody>%s</tbody></table>") % (head, body)
