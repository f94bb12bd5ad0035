from collections import defaultdict
from datetime import date, datetime, time, timedelta

from odoo import Command, api, fields, models


class ReturnableAssetRental(models.Model):
    """Rental charged for one partner, asset type and month: at most one per period."""

    _name = "returnable.asset.rental"
    _description = "Returnable Asset Rental"
    _order = "period_start desc, partner_id"

    partner_id = fields.Many2one("res.partner", required=True, index=True)
    asset_type_id = fields.Many2one("returnable.asset.type", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="asset_type_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    unit_days = fields.Float(help="Days beyond the grace days, summed over the units held.")
    amount = fields.Monetary()
    invoice_id = fields.Many2one("account.move", readonly=True)

    _sql_constraints = [
        ("period_uniq", "unique(partner_id, asset_type_id, period_start)", "Rental is charged once per period."),
    ]

    @api.model
    def _get_unit_days(self, balance, start, end, flows):
        """Unit-days in [start, end] beyond the grace days, for the units still out (FIFO).

        `flows` are the asset flows of the balance's partner and type (see _get_asset_flows).
        """
        outs = [[d, q] for _p, _t, d, kind, q, _c in flows if kind == "out"]
        returned = sum(q for _p, _t, _d, kind, q, _c in flows if kind in ("back", "lost"))
        for item in outs:
            take = min(item[1], returned)
            item[1] -= take
            returned -= take
        grace = balance.asset_type_id.grace_days
        total = 0.0
        period_start = datetime.combine(start, time.min)
        period_end = datetime.combine(end + timedelta(days=1), time.min)
        for out_date, qty in outs:
            if qty <= 0:
                continue
            chargeable_from = max(out_date + timedelta(days=grace), period_start)
            if chargeable_from < period_end:
                total += qty * (period_end - chargeable_from).days
        return total

    @api.model
    def _cron_invoice_rental(self, today=None):
        """Invoice the last complete month for every balance beyond its grace days; idempotent."""
        today = today or fields.Date.context_today(self)
        end = date(today.year, today.month, 1) - timedelta(days=1)
        start = date(end.year, end.month, 1)
        balances = self.env["returnable.asset.balance"].search([
            ("balance", ">", 0), ("asset_type_id.rental_per_day", ">", 0),
        ])
        done = {(r.partner_id.id, r.asset_type_id.id) for r in self.search([("period_start", "=", start)])}
        balances = balances.filtered(lambda b: (b.partner_id.id, b.asset_type_id.id) not in done)
        flows_by_key = defaultdict(list)
        for flow in self.env["returnable.asset.balance"]._get_asset_flows(balances.partner_id, balances.asset_type_id):
            flows_by_key[flow[0], flow[1]].append(flow)
        unit_days = {
            balance: self._get_unit_days(
                balance, start, end, flows_by_key[balance.partner_id.id, balance.asset_type_id.id])
            for balance in balances
        }
        todo = balances.filtered(lambda b: unit_days[b])
        # Many balances: chunks committed one by one by the cron (system parameter
        # reverse_logistics.batch_limit.rental); balances invoiced by a chunk are "done" for the next call.
        return self.env["reverse.logistics.batch"]._run_cron_chunk(
            todo, lambda chunk: self._invoice_rental(chunk, start, end, unit_days), "rental")

    def _invoice_rental(self, balances, start, end, unit_days_by_balance):
        """A posted rental invoice per balance for the period; returns the rentals."""
        rentals = self.browse()
        for balance in balances:
            unit_days = unit_days_by_balance[balance]
            asset_type = balance.asset_type_id
            amount = unit_days * asset_type.rental_per_day
            invoice = self.env["account.move"].sudo().with_company(balance.company_id).create({
                "move_type": "out_invoice",
                "partner_id": balance.partner_id.id,
                "company_id": balance.company_id.id,
                "ref": self.env._("Rental %(type)s %(start)s - %(end)s", type=asset_type.name, start=start, end=end),
                "invoice_line_ids": [Command.create({
                    "product_id": asset_type.rental_product_id.id,
                    "name": self.env._("%(type)s rental beyond %(days)s days: %(unit_days)s unit-days",
                                       type=asset_type.name, days=asset_type.grace_days, unit_days=unit_days),
                    "quantity": unit_days,
                    "price_unit": asset_type.rental_per_day,
                })],
            })
            invoice.action_post()
            rentals |= self.create({
                "partner_id": balance.partner_id.id, "asset_type_id": asset_type.id, "period_start": start,
                "period_end": end, "unit_days": unit_days, "amount": amount, "invoice_id": invoice.id,
            })
        return rentals
