from collections import defaultdict
from datetime import date, timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import run_cron_chunk


class ReturnableAssetRental(models.Model):
    """Rental charged for one partner, asset type and month: at most one per period."""

    _name = "returnable.asset.rental"
    _description = "Returnable Asset Rental"
    _order = "period_start desc, partner_id"

    # What was invoiced for the period, frozen when the cron invoiced it.
    partner_id = fields.Many2one("res.partner", required=True, readonly=True, index=True)
    asset_type_id = fields.Many2one("returnable.asset.type", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="asset_type_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(required=True, readonly=True)
    period_end = fields.Date(required=True, readonly=True)
    unit_days = fields.Float(readonly=True, help="Days beyond the grace days each unit was out in the period, summed.")
    amount = fields.Monetary(readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True)

    _sql_constraints = [
        ("period_uniq", "unique(partner_id, asset_type_id, period_start)", "Rental is charged once per period."),
    ]

    def _get_protected_fields(self):
        """A rental is the record of what the cron invoiced for a period: nobody writes it by hand (a rental
        made by hand would also keep the cron from invoicing its period). Refused with the fields' names."""
        return ["partner_id", "asset_type_id", "company_id", "currency_id", "period_start", "period_end",
                "unit_days", "amount", "invoice_id"]

    def _check_protected_fields(self, names):
        protected = [name for name in self._get_protected_fields() if name in names]
        if protected:
            raise UserError(self.env._(
                "%(fields)s of a rental cannot be set by hand: the monthly rental cron records what it invoiced.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in protected)))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_protected_fields({name for vals in vals_list for name in vals})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_protected_fields(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced(self):
        # The rental row is what keeps the cron from invoicing its period again.
        if self.sudo().invoice_id.filtered(lambda move: move.state != "cancel"):
            raise UserError(self.env._(
                "This rental was invoiced: cancel its invoice before deleting it, or the period would be "
                "invoiced again."))

    @api.model
    def _get_unit_days(self, grace_days, start, end, flows):
        """Unit-days in [start, end] (dates, both included) beyond the grace days, over every unit that was
        out in the period, returned ones included: units come back (or are lost) first out, first back.

        A unit out on day D is free up to D + grace - 1 and charged from D + grace; a unit back on day B
        was out until B - 1 (the day it comes back is not charged). Days are UTC calendar days, as the
        registers count them. `flows` are the balance's flows (see _get_asset_flows)."""
        queue = []
        segments = []
        for flow in flows:
            if flow["kind"] == "out":
                queue.append([flow["date"].date(), flow["qty"]])
                continue
            qty = flow["qty"]
            while qty > 1e-9 and queue:
                take = min(qty, queue[0][1])
                segments.append((queue[0][0], flow["date"].date(), take))
                queue[0][1] -= take
                qty -= take
                if queue[0][1] <= 1e-9:
                    queue.pop(0)
        segments += [(out_day, None, qty) for out_day, qty in queue if qty > 1e-9]
        total = 0.0
        for out_day, back_day, qty in segments:
            first = max(out_day + timedelta(days=grace_days), start)
            last = min(back_day - timedelta(days=1), end) if back_day else end
            if last >= first:
                total += qty * ((last - first).days + 1)
        return total

    @api.model
    def _get_period(self, today):
        end = date(today.year, today.month, 1) - timedelta(days=1)
        return date(end.year, end.month, 1), end

    @api.model
    def _get_rental_candidates(self, asset_types, end):
        """(partner, type) pairs with units out early enough to be charged in a period ending on `end`,
        whatever they hold today (units all back before the cron runs are charged too)."""
        self.env.flush_all()
        pairs = set()
        for asset_type in asset_types:
            self.env.cr.execute(SQL(
                """
                SELECT DISTINCT m.asset_partner_id FROM stock_move m
                 WHERE m.state = 'done' AND m.asset_kind = 'out' AND m.asset_type_id = %(type)s
                   AND m.date < %(limit)s
                """,
                type=asset_type.id,
                limit=fields.Datetime.to_datetime(end + timedelta(days=1 - asset_type.grace_days)),
            ))
            pairs |= {(partner_id, asset_type.id) for (partner_id,) in self.env.cr.fetchall()}
        return pairs

    @api.model
    def _cron_invoice_rental(self, today=None):
        """Invoice the last complete month for every partner and type with unit-days beyond the grace days;
        idempotent: a period invoiced (by an earlier call or chunk) is never invoiced again."""
        today = today or fields.Date.context_today(self)
        start, end = self._get_period(today)
        asset_types = self.env["returnable.asset.type"].sudo().with_context(active_test=False).search(
            [("rental_per_day", ">", 0)])
        pairs = self._get_rental_candidates(asset_types, end)
        done = {(r.partner_id.id, r.asset_type_id.id)
                for r in self.sudo().search([("period_start", "=", start)])}
        pairs = sorted(pairs - done)
        if not pairs:
            return self.browse()
        balance_model = self.env["returnable.asset.balance"]
        partners = self.env["res.partner"].browse({p for p, _t in pairs})
        flows_by_key = defaultdict(list)
        for flow in balance_model._get_asset_flows(partners, asset_types):
            flows_by_key[flow["partner_id"], flow["type_id"]].append(flow)
        balances = balance_model._recompute(partners, asset_types)
        by_key = {(b.partner_id.id, b.asset_type_id.id): b for b in balances}
        unit_days = {}
        for key in pairs:
            balance = by_key.get(key)
            if balance:
                unit_days[balance] = self._get_unit_days(balance.asset_type_id.grace_days, start, end,
                                                         flows_by_key[key])
        todo = balance_model.browse([b.id for b, days in unit_days.items() if days > 1e-9]).sudo()
        # Many balances: chunks committed one by one by the cron (system parameter
        # reverse_logistics.batch_limit.rental); balances invoiced by a chunk are "done" for the next call.
        return run_cron_chunk(todo, lambda chunk: self._invoice_rental(chunk, start, end, unit_days), "rental")

    def _invoice_rental(self, balances, start, end, unit_days_by_balance):
        """A posted rental invoice per balance for the period; returns the rentals."""
        rentals = self.browse()
        for balance in balances:
            unit_days = unit_days_by_balance[balance]
            asset_type = balance.asset_type_id
            invoice = self.env["account.move"].sudo().with_company(balance.company_id).create(
                self._prepare_rental_invoice_vals(balance, start, end, unit_days))
            invoice.action_post()
            rentals |= self.sudo().create({
                "partner_id": balance.partner_id.id, "asset_type_id": asset_type.id, "period_start": start,
                "period_end": end, "unit_days": unit_days, "amount": invoice.amount_untaxed,
                "invoice_id": invoice.id,
            })
        return rentals

    @api.model
    def _prepare_rental_invoice_vals(self, balance, start, end, unit_days):
        asset_type = balance.asset_type_id
        return {
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
        }
