from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_is_zero


class ReturnableAssetBalance(models.Model):
    """What a partner holds of an asset type, rebuilt from the done stock moves and the posted
    deposit invoices; stored so that it can be reported, aged and followed up."""

    _name = "returnable.asset.balance"
    _description = "Returnable Asset Balance"
    _inherit = ["mail.thread", "mail.activity.mixin", "reverse.logistics.flow.mixin"]
    _order = "oldest_date, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    asset_type_id = fields.Many2one("returnable.asset.type", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="asset_type_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    qty_out = fields.Float(string="Out", readonly=True)
    qty_back = fields.Float(string="Back", readonly=True)
    qty_lost = fields.Float(string="Lost", readonly=True)
    qty_damaged = fields.Float(string="Damaged", readonly=True, help="Came back needing repair or scrapping.")
    qty_surplus = fields.Float(string="Counted Surplus", readonly=True,
                               help="Returned beyond what the partner held, confirmed by a manager.")
    balance = fields.Float(readonly=True, index=True)
    oldest_date = fields.Datetime(string="Oldest Unreturned", readonly=True)
    days_out = fields.Integer(string="Days Out (oldest)", readonly=True)
    average_days_out = fields.Float(readonly=True, help="Average days out of the units that came back.")
    aging = fields.Selection(
        [("current", "Within Grace"), ("30", "1-30 Days Late"), ("60", "31-60 Days Late"),
         ("90", "61-90 Days Late"), ("90+", "Over 90 Days Late")],
        readonly=True, index=True,
    )
    deposit_qty_charged = fields.Float(string="Deposits Charged", readonly=True)
    deposit_qty_refunded = fields.Float(string="Deposits Refunded", readonly=True)
    deposit_qty_forfeited = fields.Float(string="Deposits Kept", readonly=True,
                                         help="Deposits kept for units declared lost.")
    deposit_held = fields.Monetary(compute="_compute_deposit_held", store=True)
    last_followup_aging = fields.Char(readonly=True)
    date_last_followup = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("partner_type_uniq", "unique(partner_id, asset_type_id)", "One balance per partner and asset type."),
    ]

    @api.depends("deposit_qty_charged", "deposit_qty_refunded", "deposit_qty_forfeited",
                 "asset_type_id.deposit_price")
    def _compute_deposit_held(self):
        for balance in self:
            held = balance.deposit_qty_charged - balance.deposit_qty_refunded - balance.deposit_qty_forfeited
            balance.deposit_held = max(held, 0.0) * balance.asset_type_id.deposit_price

    # ------------------------------------------------------------------
    # Rebuild from moves and invoices
    # ------------------------------------------------------------------
    @api.model
    def _get_asset_flows(self, partners, asset_types):
        """Done asset moves of these partners: (partner, type, date, kind, qty, condition)."""
        self.env.flush_all()
        product_to_type = {t.product_id.id: t.id for t in asset_types}
        if not product_to_type or not partners:
            return []
        self.env.cr.execute(SQL(
            """
            SELECT rp.commercial_partner_id, m.product_id, m.date, src.usage, dst.usage, m.quantity,
                   m.asset_surplus, m.asset_condition
              FROM stock_move m
              JOIN stock_location src ON src.id = m.location_id
              JOIN stock_location dst ON dst.id = m.location_dest_id
              LEFT JOIN stock_picking p ON p.id = m.picking_id
              JOIN res_partner rp ON rp.id = COALESCE(p.partner_id, m.partner_id)
             WHERE m.state = 'done' AND m.product_id = ANY(%(products)s)
               AND rp.commercial_partner_id = ANY(%(partners)s)
               AND (src.usage = 'customer' OR dst.usage = 'customer')
             ORDER BY m.date, m.id
            """,
            products=list(product_to_type), partners=partners.commercial_partner_id.ids,
        ))
        flows = []
        for partner_id, product_id, date, src, dst, qty, surplus, condition in self.env.cr.fetchall():
            if dst == "customer":
                kind = "out"
            elif src == "customer" and dst in ("internal", "transit"):
                kind = "surplus" if surplus else "back"
            else:
                kind = "lost"
            flows.append((partner_id, product_to_type[product_id], date, kind, qty, condition))
        return flows

    @api.model
    def _get_deposit_quantities(self, partners, asset_types):
        """{(partner, type): (charged, refunded)} from posted deposit invoice lines."""
        product_to_type = {t.product_id.id: t.id for t in asset_types if t.deposit_price}
        if not product_to_type:
            return {}
        groups = self.env["account.move.line"].sudo()._read_group(
            [
                ("product_id", "in", list(product_to_type)),
                ("parent_state", "=", "posted"),
                ("move_id.move_type", "in", ("out_invoice", "out_refund")),
                ("partner_id.commercial_partner_id", "in", partners.commercial_partner_id.ids),
                ("display_type", "=", "product"),
            ],
            ["partner_id", "product_id", "move_type"],
            ["quantity:sum"],
        )
        result = defaultdict(lambda: [0.0, 0.0])
        for partner, product, move_type, qty in groups:
            key = (partner.commercial_partner_id.id, product_to_type[product.id])
            result[key][0 if move_type == "out_invoice" else 1] += qty
        return result

    @api.model
    def _recompute(self, partners, asset_types=None):
        """Rebuild the balances of these partners (for these asset types, else all).

        Balances are derived from moves and invoices, so the system writes them, whoever's transfer or
        invoice triggered the rebuild; users never write their quantities (see write()).
        """
        balances = self.sudo()
        partners = partners.commercial_partner_id
        asset_types = (asset_types or balances.env["returnable.asset.type"].search([])).sudo()
        if not partners or not asset_types:
            return balances.browse()
        now = fields.Datetime.now()
        state = defaultdict(lambda: {"out": [], "back": 0.0, "lost": 0.0, "surplus": 0.0, "damaged": 0.0,
                                     "returns": []})
        for partner_id, type_id, date, kind, qty, condition in balances._get_asset_flows(partners, asset_types):
            entry = state[partner_id, type_id]
            if kind == "out":
                entry["out"].append([date, qty])
            elif kind == "surplus":
                entry["surplus"] += qty
            else:
                entry[kind] += qty
                entry["returns"].append((date, qty))
                if kind == "back" and condition in ("repair", "scrap"):
                    entry["damaged"] += qty
        deposits = balances._get_deposit_quantities(partners, asset_types)
        existing = {(b.partner_id.id, b.asset_type_id.id): b for b in balances.search([
            ("partner_id", "in", partners.ids), ("asset_type_id", "in", asset_types.ids)])}
        types = {t.id: t for t in asset_types}
        to_create = []
        for key in set(state) | set(existing) | set(deposits):
            entry = state[key]
            asset_type = types[key[1]]
            vals = balances._prepare_balance_vals(entry, asset_type, now)
            charged, refunded = deposits.get(key, (0.0, 0.0))
            vals.update(deposit_qty_charged=charged, deposit_qty_refunded=refunded)
            if key in existing:
                existing[key].write(vals)
            else:
                to_create.append(dict(vals, partner_id=key[0], asset_type_id=key[1]))
        return balances.create(to_create) | balances.browse([b.id for b in existing.values()])

    @api.model
    def _prepare_balance_vals(self, entry, asset_type, now):
        """Match returns to deliveries first in, first out: what is left is still at the customer."""
        queue = [list(item) for item in entry["out"]]
        trip_days, trip_qty = 0.0, 0.0
        for date, qty in sorted(entry["returns"]):
            while qty > 0 and queue:
                take = min(qty, queue[0][1])
                trip_days += take * max((date - queue[0][0]).total_seconds() / 86400.0, 0.0)
                trip_qty += take
                queue[0][1] -= take
                qty -= take
                if queue[0][1] <= 1e-9:
                    queue.pop(0)
        queue = [item for item in queue if item[1] > 1e-9]
        oldest = queue[0][0] if queue else False
        days_out = int((now - oldest).total_seconds() // 86400) if oldest else 0
        late = days_out - asset_type.grace_days
        if not oldest or late <= 0:
            aging = "current"
        elif late <= 30:
            aging = "30"
        elif late <= 60:
            aging = "60"
        elif late <= 90:
            aging = "90"
        else:
            aging = "90+"
        qty_out = sum(qty for _date, qty in entry["out"])
        return {
            "qty_out": qty_out,
            "qty_back": entry["back"],
            "qty_lost": entry["lost"],
            "qty_damaged": entry["damaged"],
            "qty_surplus": entry["surplus"],
            "balance": max(qty_out - entry["back"] - entry["lost"], 0.0),
            "oldest_date": oldest,
            "days_out": days_out,
            "average_days_out": trip_days / trip_qty if trip_qty else 0.0,
            "aging": aging,
        }

    @api.model
    def _get_balance(self, partner, asset_type):
        balance = self._recompute(partner, asset_type).filtered(
            lambda b: b.partner_id == partner.commercial_partner_id and b.asset_type_id == asset_type)
        return balance

    # ------------------------------------------------------------------
    # Deposits
    # ------------------------------------------------------------------
    def _get_refundable_deposit_qty(self):
        """Units whose deposit may be refunded: returned ones, never more than was charged."""
        self.ensure_one()
        returned_and_charged = min(self.qty_back, self.deposit_qty_charged)
        return max(returned_and_charged - self.deposit_qty_refunded, 0.0)

    def _create_deposit_refunds(self, max_qty=None):
        """One posted credit note per balance for the refundable deposits."""
        credit_notes = self.env["account.move"]
        for balance in self.filtered(lambda b: b.asset_type_id.deposit_price):
            qty = balance._get_refundable_deposit_qty()
            if max_qty is not None:
                qty = min(qty, max_qty)
            if float_is_zero(qty, precision_digits=4):
                continue
            asset_type = balance.asset_type_id
            credit_note = self.env["account.move"].sudo().with_company(balance.company_id).create({
                "move_type": "out_refund",
                "partner_id": balance.partner_id.id,
                "company_id": balance.company_id.id,
                "ref": self.env._("Deposit refund: %(type)s", type=asset_type.name),
                "invoice_line_ids": [Command.create({
                    "product_id": asset_type.product_id.id,
                    "name": self.env._("Deposit refund: %(qty)s x %(type)s", qty=qty, type=asset_type.name),
                    "quantity": qty,
                    "price_unit": asset_type.deposit_price,
                    "account_id": asset_type.deposit_account_id.id,
                    "tax_ids": [Command.clear()],
                })],
            })
            credit_note.action_post()
            credit_notes |= credit_note
        if credit_notes:
            self._recompute(self.partner_id, self.asset_type_id)
        return credit_notes

    def action_refund_deposits(self):
        """Manual refund of the deposits of returned units: an accounting act, for Billing users."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Refunding deposits by hand needs Invoicing rights."))
        balances = self._recompute(self.partner_id, self.asset_type_id) & self.sudo()
        batch_model = self.env["reverse.logistics.batch"]
        limit = batch_model._get_size_limit("deposit_refund", 200)
        if limit and len(balances) > limit:
            # One credit note per balance: many balances go to the background batch cron. A balance
            # refunded before a crash has nothing left to refund and is skipped by the re-run.
            refundable = balances.filtered(lambda b: b.asset_type_id.deposit_price and b._get_refundable_deposit_qty())
            if not refundable:
                raise UserError(self.env._("No deposit is left to refund: every returned unit was already credited."))
            batch = batch_model._queue(
                refundable.sudo(False), "_create_deposit_refunds_batch_chunk",
                self.env._("Deposit refunds of %(count)s balances", count=len(refundable)),
                chunk_size=batch_model._get_size_limit("deposit_refund_chunk", 50))
            return batch._get_queued_action(batch)
        credit_notes = balances._create_deposit_refunds()
        if not credit_notes:
            raise UserError(self.env._("No deposit is left to refund: every returned unit was already credited."))
        return True

    def _create_deposit_refunds_batch_chunk(self):
        """A chunk of a queued refund, as the Billing user who queued it; flow writes as the system."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Refunding deposits by hand needs Invoicing rights."))
        balances = self._recompute(self.partner_id, self.asset_type_id) & self.sudo()
        return balances._create_deposit_refunds()

    # ------------------------------------------------------------------
    # Follow-up
    # ------------------------------------------------------------------
    @api.model
    def _cron_follow_up_overdue(self):
        balances = self.search([("balance", ">", 0)])
        self._recompute(balances.partner_id)
        overdue = self.search([("balance", ">", 0), ("aging", "not in", ("current", False))])
        # Only those not yet followed up in their aging bucket: a later call (or a re-run after a crash)
        # goes on with the rest. Chunks of reverse_logistics.batch_limit.followup, committed by the cron.
        todo = overdue.filtered(lambda b: b.last_followup_aging != b.aging)
        self.env["reverse.logistics.batch"]._run_cron_chunk(todo, lambda chunk: chunk._follow_up(), "followup")

    def _follow_up(self):
        """Activity and mail for each overdue balance; again only when it ages into a later bucket."""
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        for balance in self:
            if balance.last_followup_aging == balance.aging:
                continue
            body = self.env._(
                "%(partner)s holds %(qty)s %(type)s; the oldest left on %(date)s (%(days)s days ago).",
                partner=balance.partner_id.display_name, qty=balance.balance, type=balance.asset_type_id.name,
                date=fields.Date.to_string(balance.oldest_date.date()), days=balance.days_out,
            )
            if not balance.activity_ids:
                balance.activity_schedule(
                    activity_type_id=activity_type.id, summary=self.env._("Recover returnable assets"),
                    note=body, user_id=balance.asset_type_id.create_uid.id or self.env.uid,
                )
            balance.partner_id.message_post(
                body=self.env._("Reminder: please return the %(type)s you still hold. %(detail)s",
                                type=balance.asset_type_id.name, detail=body),
                partner_ids=balance.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
            balance.sudo().write({"last_followup_aging": balance.aging, "date_last_followup": fields.Datetime.now()})
