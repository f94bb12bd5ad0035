from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models


class ReturnMetricsDashboard(models.TransientModel):
    """Reverse-logistics KPIs over a period, computed from returns, gradings and stock moves."""

    _name = "return.metrics.dashboard"
    _description = "Reverse Logistics Dashboard"

    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=90))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")

    return_count = fields.Integer(compute="_compute_metrics", string="Returns")
    units_returned = fields.Float(compute="_compute_metrics")
    units_delivered = fields.Float(compute="_compute_metrics")
    return_rate = fields.Float(compute="_compute_metrics", string="Return Rate (%)")
    return_to_stock_rate = fields.Float(compute="_compute_metrics", string="Return-to-Stock Rate (%)")
    cost_per_return = fields.Monetary(compute="_compute_metrics")
    recovery_rate = fields.Float(compute="_compute_metrics", string="Recovery Rate (%)")
    recovery_value = fields.Monetary(compute="_compute_metrics")
    disposal_cost_per_unit = fields.Monetary(compute="_compute_metrics")
    landfill_diversion_rate = fields.Float(compute="_compute_metrics", string="Landfill Diversion (%)")
    co2_kg = fields.Float(compute="_compute_metrics", string="CO2e (kg)")
    avg_time_to_resolution = fields.Float(compute="_compute_metrics", string="Request to Resolution (h)")
    avg_time_to_processed = fields.Float(compute="_compute_metrics", string="Receipt to Processed (h)")
    top_products_html = fields.Html(compute="_compute_metrics", string="Return Rate by Product", sanitize=False)

    @api.model
    def _get_back_to_stock_operations(self):
        return ["restock", "repackage", "refurbish"]

    def _period_domain(self, field):
        self.ensure_one()
        return [
            (field, ">=", fields.Datetime.to_datetime(self.date_from)),
            (field, "<", fields.Datetime.to_datetime(self.date_to + timedelta(days=1))),
            ("company_id", "=", self.company_id.id),
        ]

    @api.depends("date_from", "date_to", "company_id")
    def _compute_metrics(self):
        for dash in self:
            returns = self.env["return.order"].search(
                dash._period_domain("date_request") + [("state", "not in", ("cancel", "rejected"))])
            dash.return_count = len(returns)
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

            gradings = self.env["return.grading"].search(
                dash._period_domain("date_graded") + [("previous_grading_id", "=", False)])
            processed = gradings.filtered(lambda g: g.state != "graded")
            units = sum(processed.mapped("quantity"))
            back = sum(g.quantity for g in processed if g.operation in self._get_back_to_stock_operations())
            dash.return_to_stock_rate = 100.0 * back / units if units else 0.0
            graded_value = sum(g.unit_value * g.quantity for g in processed)
            dash.recovery_value = sum(processed.mapped("recovery_value"))
            dash.recovery_rate = 100.0 * dash.recovery_value / graded_value if graded_value else 0.0
            disposed = processed.filtered(lambda g: g.operation in ("recycle", "dispose"))
            disposed_units = sum(disposed.mapped("quantity"))
            dash.disposal_cost_per_unit = sum(disposed.mapped("processing_cost")) / disposed_units \
                if disposed_units else 0.0
            weight = sum(processed.mapped("weight"))
            dash.landfill_diversion_rate = 100.0 * (1 - sum(processed.mapped("landfill_weight")) / weight) \
                if weight else 0.0
            dash.co2_kg = sum(processed.mapped("co2_kg"))
            with_cost = returns.filtered(lambda r: r.state == "done")
            dash.cost_per_return = sum(with_cost.mapped("return_cost")) / len(with_cost) if with_cost else 0.0
            resolved = returns.filtered("date_resolved")
            dash.avg_time_to_resolution = sum(resolved.mapped("cycle_time_refund")) / len(resolved) \
                if resolved else 0.0
            finished = returns.filtered("date_dispositioned")
            dash.avg_time_to_processed = sum(finished.mapped("cycle_time_disposition")) / len(finished) \
                if finished else 0.0

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
