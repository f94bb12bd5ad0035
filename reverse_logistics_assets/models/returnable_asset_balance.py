from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import refuse_mail_creation
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_is_zero

from ..tools import get_batch_limit, run_cron_chunk

PRECISION = 4


class ReturnableAssetBalance(models.Model):
    """What a partner holds of an asset type, rebuilt from the counts frozen on the done stock moves and
    from the deposit ledger; stored so that it can be reported, aged and followed up."""

    _name = "returnable.asset.balance"
    _description = "Returnable Asset Balance"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
                               help="Returned beyond what the partner held, accepted by a manager.")
    qty_surplus_pending = fields.Float(
        string="Surplus to Check", readonly=True,
        help="Returned beyond what the partner held (or serials he did not hold): not counted as back; "
        "waits for a Returnable Assets Manager to accept it as a counted surplus.")
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
    deposit_held = fields.Monetary(
        readonly=True, help="What the deposit ledger still holds for this partner, as the deposit account "
        "holds it (company currency, at the rates the deposits were charged at).")
    deposit_ids = fields.One2many("returnable.asset.deposit", compute="_compute_deposit_ids", string="Deposits")
    last_followup_aging = fields.Char(readonly=True)
    date_last_followup = fields.Datetime(readonly=True)
    deposit_refund_queued = fields.Boolean(
        string="Refund Queued", readonly=True, copy=False, index=True,
        help="Refund Deposits was asked for more balances than one request handles: this balance waits for "
        "the cron that refunds them in the background.")
    deposit_refund_user_id = fields.Many2one(
        "res.users", string="Refund Asked By", readonly=True, copy=False,
        help="The Billing user who asked for the queued refund: it is made with his rights, and he is told "
        "when it is done.")

    _sql_constraints = [
        ("partner_type_uniq", "unique(partner_id, asset_type_id)", "One balance per partner and asset type."),
    ]

    # ------------------------------------------------------------------
    # What only the system writes
    # ------------------------------------------------------------------
    def _get_protected_fields(self):
        """Fields users never write, through the form or JSON-RPC: a balance is rebuilt from the counts
        frozen on the moves and from the deposit ledger (see _recompute), and the refund queue is Refund
        Deposits'. Writing one is refused with their names, never dropped. Fields an extension adds are not
        here: they stay writable unless the extension adds them to this list."""
        return [
            "partner_id", "asset_type_id", "company_id", "currency_id", "qty_out", "qty_back", "qty_lost",
            "qty_damaged", "qty_surplus", "qty_surplus_pending", "balance", "oldest_date", "days_out",
            "average_days_out", "aging", "deposit_qty_charged", "deposit_qty_refunded", "deposit_qty_forfeited",
            "deposit_held", "deposit_ids", "last_followup_aging", "date_last_followup", "deposit_refund_queued",
            "deposit_refund_user_id",
        ]

    def _check_protected_fields(self, names):
        protected = [name for name in self._get_protected_fields() if name in names]
        if protected:
            raise UserError(self.env._(
                "%(fields)s cannot be set by hand: the system rebuilds asset balances from the stock moves and "
                "the deposit ledger.",
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

    @api.depends("partner_id", "asset_type_id")
    def _compute_deposit_ids(self):
        # Read with the user's rights: the record rules of the ledger are those of the balances.
        deposits = self.env["returnable.asset.deposit"].search([
            ("partner_id", "in", self.partner_id.ids), ("asset_type_id", "in", self.asset_type_id.ids)])
        for balance in self:
            balance.deposit_ids = deposits.filtered(
                lambda d, b=balance: d.partner_id == b.partner_id and d.asset_type_id == b.asset_type_id)

    # ------------------------------------------------------------------
    # Rebuild from moves and the deposit ledger
    # ------------------------------------------------------------------
    @api.model
    def _get_asset_flows(self, partners, asset_types, exclude_moves=None):
        """Done asset moves of these (commercial) partners and types, as counted when they were done (see
        stock.move._freeze_asset_counts), in date order: dicts of move_id, partner_id, type_id, date,
        kind (out, back, lost), qty (counted), condition, surplus (qty) and surplus_state."""
        self.env.flush_all()
        if not partners or not asset_types:
            return []
        self.env.cr.execute(SQL(
            """
            SELECT m.id, m.asset_partner_id, m.asset_type_id, m.date, m.asset_kind, COALESCE(m.asset_qty, 0),
                   m.asset_condition, COALESCE(m.asset_surplus_qty, 0), m.asset_surplus_state, m.asset_loss_mode
              FROM stock_move m
             WHERE m.state = 'done' AND m.asset_kind IS NOT NULL
               AND m.asset_type_id = ANY(%(types)s) AND m.asset_partner_id = ANY(%(partners)s)
               AND m.id != ALL(%(excluded)s)
             ORDER BY m.date, m.id
            """,
            types=asset_types.ids, partners=partners.commercial_partner_id.ids,
            excluded=exclude_moves.ids if exclude_moves else [],
        ))
        keys = ("move_id", "partner_id", "type_id", "date", "kind", "qty", "condition", "surplus",
                "surplus_state", "loss_mode")
        return [dict(zip(keys, row, strict=True)) for row in self.env.cr.fetchall()]

    @api.model
    def _get_ledger_totals(self, partners, asset_types):
        """{(partner, type): (charged, refunded, kept, held in company currency)} from the deposit ledger."""
        groups = self.env["returnable.asset.deposit"].sudo()._read_group(
            [("partner_id", "in", partners.ids), ("asset_type_id", "in", asset_types.ids)],
            ["partner_id", "asset_type_id"],
            ["quantity:sum", "qty_refunded:sum", "qty_kept:sum", "amount_held_company:sum"],
        )
        return {(partner.id, asset_type.id): (charged, refunded, kept, held)
                for partner, asset_type, charged, refunded, kept, held in groups}

    @api.model
    def _recompute(self, partners, asset_types=None):
        """Rebuild the balances of these partners (for these asset types, else all).

        Balances are derived from moves and the ledger, so the system writes them, whoever's transfer or
        invoice triggered the rebuild; users never write their quantities (see write())."""
        balances = self.sudo()
        partners = partners.commercial_partner_id
        # Every asset type, archived ones too: a company has a handful, and each may still be out.
        asset_type_model = balances.env["returnable.asset.type"].with_context(active_test=False)
        asset_types = (asset_types or asset_type_model.search([])).sudo()  # pylint: disable=no-search-all
        if not partners or not asset_types:
            return balances.browse()
        now = fields.Datetime.now()
        state = defaultdict(lambda: {"out": [], "back": 0.0, "lost": 0.0, "surplus": 0.0, "pending": 0.0,
                                     "damaged": 0.0, "returns": []})
        for flow in balances._get_asset_flows(partners, asset_types):
            entry = state[flow["partner_id"], flow["type_id"]]
            if flow["kind"] == "out":
                entry["out"].append([flow["date"], flow["qty"]])
                continue
            entry[flow["kind"]] += flow["qty"]
            entry["returns"].append((flow["date"], flow["qty"]))
            if flow["kind"] == "back" and flow["condition"] in ("repair", "scrap"):
                entry["damaged"] += flow["qty"]
            if flow["surplus"]:
                entry["surplus" if flow["surplus_state"] == "accepted" else "pending"] += flow["surplus"]
        ledger = balances._get_ledger_totals(partners, asset_types)
        existing = {(b.partner_id.id, b.asset_type_id.id): b for b in balances.search([
            ("partner_id", "in", partners.ids), ("asset_type_id", "in", asset_types.ids)])}
        types = {t.id: t for t in asset_types}
        to_create = []
        for key in set(state) | set(existing) | set(ledger):
            vals = balances._prepare_balance_vals(state[key], types[key[1]], now)
            charged, refunded, kept, held = ledger.get(key, (0.0, 0.0, 0.0, 0.0))
            vals.update(deposit_qty_charged=charged, deposit_qty_refunded=refunded, deposit_qty_forfeited=kept,
                        deposit_held=held)
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
            "qty_surplus_pending": entry["pending"],
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
    # Deposits: what is owed back, what is kept, one routine for every path
    # ------------------------------------------------------------------
    def _lock_deposits(self):
        """Serialize every settlement of these balances' deposits: two requests refunding the same
        deposits each see only committed settlements; touching the balance rows makes the later one wait
        and then fail with a serialization error, which Odoo retries: the retry sees the winner's refund."""
        if self:
            self.env.cr.execute(SQL(
                "UPDATE returnable_asset_balance SET write_date = write_date WHERE id IN %s",
                tuple(sorted(self.ids))))

    def _get_deposit_position(self):
        """Where the deposits of this balance stand (one balance, as the system):

        - charges: the ledger's charges still holding something, first charged first;
        - held: units of deposit held; at_customer: units the partner holds;
        - pending: [(loss move, units)] lost whose deposit is not kept yet (charged after the loss);
        - on_order: {sale line: (reserved, creditable)}: units returned on the sale whose deposit the
          order's invoicing credits (reserved: posted invoices; creditable: what its next invoice would
          credit, drafts aside), taken from that line's charges;
        - reserved: {charge: units} of the charges spoken for by on_order."""
        self.ensure_one()
        balance = self.sudo()
        asset_type, partner = balance.asset_type_id, balance.partner_id
        charges = self.env["returnable.asset.deposit"].sudo().search([
            ("partner_id", "=", partner.id), ("asset_type_id", "=", asset_type.id), ("qty_held", ">", 0)])._get_fifo()
        flows = balance._get_asset_flows(partner, asset_type)
        at_customer = sum(f["qty"] if f["kind"] == "out" else -f["qty"] for f in flows)
        losses = [f for f in flows if f["kind"] == "lost" and f["qty"] > 0]
        kept = defaultdict(float)
        if losses:
            for group in self.env["returnable.asset.deposit.settlement"].sudo()._read_group(
                    [("loss_move_id", "in", [f["move_id"] for f in losses]), ("kind", "=", "kept")],
                    ["loss_move_id"], ["quantity:sum"]):
                kept[group[0].id] += group[1]
        moves = self.env["stock.move"].sudo()
        pending = [(moves.browse(f["move_id"]), f["qty"] - kept[f["move_id"]]) for f in losses
                   if not float_is_zero(f["qty"] - kept[f["move_id"]], precision_digits=PRECISION)
                   and f["qty"] > kept[f["move_id"]]]
        on_order, reserved = {}, defaultdict(float)
        uom = asset_type.product_id.uom_id
        for sale_line in charges.sale_line_id.filtered(
                lambda sl: sl.state == "sale" and sl.product_id.invoice_policy == "delivery"):
            delivered = sale_line.product_uom._compute_quantity(sale_line.qty_delivered, uom, round=False)
            posted = sale_line.product_uom._compute_quantity(sale_line.qty_invoiced_posted, uom, round=False)
            invoiced = sale_line.product_uom._compute_quantity(sale_line.qty_invoiced, uom, round=False)
            line_charges = charges.filtered(lambda d, sl=sale_line: d.sale_line_id == sl)
            line_held = sum(line_charges.mapped("qty_held"))
            to_reserve = min(max(posted - delivered, 0.0), line_held)
            creditable = min(max(invoiced - delivered, 0.0), line_held)
            if float_is_zero(to_reserve, precision_digits=PRECISION) and \
                    float_is_zero(creditable, precision_digits=PRECISION):
                continue
            on_order[sale_line] = (to_reserve, creditable)
            for charge, qty in line_charges._allocate(to_reserve):
                reserved[charge] += qty
        return {
            "charges": charges,
            "held": sum(charges.mapped("qty_held")),
            "at_customer": max(at_customer, 0.0),
            "pending": pending,
            "on_order": on_order,
            "reserved": reserved,
        }

    def _get_refundable_deposit_qty(self, position=None):
        """Units of deposit owed back for units that came back: the deposits held beyond the units the
        partner still holds, less those waiting for losses (charged after the loss) and those the order's
        invoicing gives back (units returned on the sale)."""
        self.ensure_one()
        position = position or self._get_deposit_position()
        pending = sum(qty for _move, qty in position["pending"])
        owed_on_order = sum(position["reserved"].values())
        return max(position["held"] - position["at_customer"] - pending - owed_on_order, 0.0)

    @api.model
    def _settle_deposits(self, partners, asset_types, refund_caps=None, manual=None):
        """Settle what the deposits of these partners and types owe, as the system, in one place for
        every path (receipts, invoices, losses, Refund Deposits):

        1. the deposit of units lost before it was charged is kept once it is charged (set off against
           the replacement invoice, or kept as income);
        2. with `refund_caps` ({(partner, type): units}): up to that many units that just came back are
           refunded (the deposits held beyond what the partner still holds);
        3. for the balances in `manual` (Refund Deposits): every unit refundable, and the units returned on a
           sale are credited on its sale line, as its next invoice would (which then credits nothing more);
           only those balances, not every pair of their partners and types.

        Refunds give back what was charged, first charged first, in the charge's currency and at its
        rate, one credit note per invoice charged. Returns the documents posted."""
        balances = self._recompute(partners, asset_types).filtered(
            lambda b: b.asset_type_id.deposit_account_id)
        refund_caps = refund_caps or {}
        manual = manual or self.browse()
        documents = self.env["account.move"].sudo()
        balances._lock_deposits()
        for balance in balances:
            key = (balance.partner_id.id, balance.asset_type_id.id)
            position = balance._get_deposit_position()
            if not position["charges"]:
                continue
            refund_qty = 0.0
            by_hand = balance in manual
            if by_hand:
                refund_qty = balance._get_refundable_deposit_qty(position)
            elif refund_caps.get(key):
                refund_qty = min(refund_caps[key], balance._get_refundable_deposit_qty(position))
            allocator = DepositAllocator(position)
            kept = [(loss, charge, qty) for loss, pending in position["pending"]
                    for charge, qty in allocator.take(pending)]
            refunds = []
            if by_hand:
                for sale_line, (_reserved, creditable) in position["on_order"].items():
                    refunds += [(charge, qty, sale_line)
                                for charge, qty in allocator.take(creditable, sale_line=sale_line)]
            refunds += [(charge, qty, None) for charge, qty in allocator.take(refund_qty)]
            documents |= balance._create_settlement_documents(refunds, kept)
        if documents:
            # Posted together: the ledger records them before any later settlement reads it.
            documents._post(soft=False)
        return documents

    def _create_settlement_documents(self, refunds, kept):
        """Draft documents for [(charge, units, sale line)] refunded and [(loss move, charge, units)] kept:
        a credit note per invoice charged for refunds and for deposits set off against a replacement
        invoice, a journal entry for deposits kept as income."""
        self.ensure_one()
        moves = self.env["account.move"].sudo()
        by_invoice = defaultdict(list)
        for charge, qty, sale_line in refunds:
            by_invoice[charge.move_id, "refund"].append(
                charge._prepare_settlement_line_vals(qty, "refund", sale_line=sale_line))
        income_lines = []
        for loss, charge, qty in kept:
            vals = charge._prepare_settlement_line_vals(qty, "kept", loss_move=loss)
            if loss.asset_loss_mode == "invoice":
                by_invoice[charge.move_id, "set_off"].append(vals)
            else:
                income_lines.append((charge, qty, vals))
        for (invoice, kind), lines in by_invoice.items():
            moves |= moves.with_company(invoice.company_id).create(
                self._prepare_deposit_credit_note_vals(invoice, kind, lines))
        if income_lines:
            moves |= moves.with_company(self.company_id).create(self._prepare_kept_entry_vals(income_lines))
        return moves

    def _prepare_deposit_credit_note_vals(self, invoice, kind, line_vals):
        """A credit note giving back deposits charged by `invoice`, in its currency and at its rate, so that
        the deposit account is cleared exactly of what the invoice put on it."""
        self.ensure_one()
        asset_type = self.asset_type_id
        if kind == "refund":
            ref = self.env._("Deposit refund: %(type)s", type=asset_type.name)
        else:
            ref = self.env._("Deposit of lost %(type)s set off against their replacement", type=asset_type.name)
        return {
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "company_id": invoice.company_id.id,
            "journal_id": invoice.journal_id.id,
            "currency_id": invoice.currency_id.id,
            "invoice_date": fields.Date.context_today(self),
            "invoice_currency_rate": invoice.invoice_currency_rate,
            "fiscal_position_id": invoice.fiscal_position_id.id,
            "reversed_entry_id": invoice.id if kind == "refund" else False,
            "invoice_origin": invoice.name,
            "ref": ref,
            "invoice_line_ids": [Command.create(vals) for vals in line_vals],
        }

    def _prepare_kept_entry_vals(self, lines):
        """A journal entry moving deposits kept for lost units from the deposit account to income."""
        self.ensure_one()
        company = self.company_id
        journal = self.env["account.journal"].sudo().search([
            *self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")], limit=1)
        income = self.env["account.account"].sudo().search([
            *self.env["account.account"]._check_company_domain(company),
            ("account_type", "in", ("income_other", "income"))], order="account_type desc", limit=1)
        if not journal or not income:
            raise UserError(self.env._(
                "%(company)s needs a miscellaneous journal and an income account to keep deposits.",
                company=company.name))
        commands, total = [], 0.0
        for charge, qty, vals in lines:
            amount = company.currency_id.round(qty * charge.unit_amount_company)
            total += amount
            commands.append(Command.create({
                "name": vals["name"], "product_id": vals["product_id"], "quantity": qty,
                "account_id": vals["account_id"], "partner_id": self.partner_id.id,
                "currency_id": charge.currency_id.id, "balance": amount,
                "amount_currency": charge.currency_id.round(qty * charge.unit_amount),
                "asset_deposit_id": charge.id, "asset_settlement_kind": "kept",
                "asset_loss_move_id": vals.get("asset_loss_move_id"),
            }))
        commands.append(Command.create({
            "name": self.env._("Deposits kept: %(type)s", type=self.asset_type_id.name),
            "account_id": income.id, "partner_id": self.partner_id.id, "balance": -total,
        }))
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "company_id": company.id,
            "date": fields.Date.context_today(self),
            "ref": self.env._("Deposit kept for lost %(type)s", type=self.asset_type_id.name),
            "line_ids": commands,
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_deposit_refund_rights(self):
        """Refunding by hand is an accounting act: Billing (the README's accountant), on balances the user
        may read."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Refunding deposits by hand needs Invoicing rights (Billing)."))
        self.check_access("read")

    def action_refund_deposits(self):
        """Refund Deposits (Billing): refund at once what these balances owe back for units that came back;
        above the size limit (system parameter reverse_logistics.batch_limit.deposit_refund) the balances
        with something to refund are flagged and the cron refunds them in the background. The whole
        selection is checked first: nothing to refund, or a balance already waiting, refuses it all with
        nothing done."""
        self._check_deposit_refund_rights()
        balances = self._recompute(self.partner_id, self.asset_type_id) & self.sudo()
        waiting = balances.filtered("deposit_refund_queued")
        if waiting:
            raise UserError(self.env._(
                "The deposits of %(partners)s already wait for their refund in the background: you will be "
                "told when it is done.", partners=", ".join(waiting[:5].mapped("partner_id.display_name"))))
        limit = get_batch_limit(self.env, "deposit_refund", 200)
        if limit and len(balances) > limit:
            refundable = balances.filtered(lambda b: b._has_deposit_to_refund())
            if not refundable:
                raise UserError(self.env._("No deposit is left to refund: every returned unit was already credited."))
            return refundable._queue_deposit_refunds()
        credit_notes = balances._create_deposit_refunds()
        if not credit_notes:
            raise UserError(self.env._("No deposit is left to refund: every returned unit was already credited."))
        return True

    def _queue_deposit_refunds(self):
        """Flag these balances (as the system) for the refund cron and start it; tell the user at once."""
        self.sudo().write({"deposit_refund_queued": True, "deposit_refund_user_id": self.env.uid})
        self.env.ref("reverse_logistics_assets.ir_cron_asset_deposit_refund").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Deposit refunds queued"),
                "message": self.env._(
                    "The deposits of %(count)s balances are refunded in the background; each balance says so "
                    "until its credit note is posted, and you will be told when they are all done.",
                    count=len(self)),
                "type": "info",
                "next": {
                    "type": "ir.actions.act_window",
                    "name": self.env._("Deposit Refunds Queued"),
                    "res_model": self._name,
                    "views": [(False, "list"), (False, "form")],
                    "domain": [("id", "in", self.ids)],
                    "context": {"create": False},
                },
            },
        }

    def _has_deposit_to_refund(self):
        self.ensure_one()
        if not self.asset_type_id.deposit_account_id:
            return False
        position = self._get_deposit_position()
        return bool(self._get_refundable_deposit_qty(position) > 1e-6
                    or any(creditable > 1e-6 for _r, creditable in position["on_order"].values()))

    def _create_deposit_refunds(self):
        """Refund what these balances owe back (see _settle_deposits); returns the refund credit notes."""
        documents = self.env["returnable.asset.balance"]._settle_deposits(
            self.partner_id, self.asset_type_id, manual=self)
        return documents.filtered(lambda m: m.reversed_entry_id)

    @api.model
    def _cron_refund_deposits(self):
        """Refund the deposits of the balances Refund Deposits queued, a chunk per call (system parameter
        reverse_logistics.batch_limit.deposit_refund_chunk): Odoo commits each call and calls again while
        some wait. The flag is cleared in the same transaction as the refund: a call that crashes leaves
        its balances flagged and refunds nothing, the next call refunds them once."""
        queued = self.sudo().search([("deposit_refund_queued", "=", True)], order="id")
        run_cron_chunk(queued, lambda chunk: chunk._refund_queued_deposits(), "deposit_refund_chunk", 50)

    def _refund_queued_deposits(self):
        """Refund each of these queued balances as the user who asked (his Billing rights and his access
        to the balance checked again now), each in a savepoint: a refused one is told on its balance and to
        him, and leaves the others. Each flag is cleared with its refund; who has nothing left waiting is
        told that his refunds are done. Notifications go last: a savepoint rolled back drops the ones
        already sent in the transaction."""
        requesters = self.deposit_refund_user_id
        refused = []
        for balance in self:
            requester = balance.deposit_refund_user_id
            try:
                with self.env.cr.savepoint():
                    if not requester:
                        raise UserError(self.env._("The user who asked for this refund no longer exists."))
                    as_requester = balance.with_user(requester)
                    as_requester._check_deposit_refund_rights()
                    credit_notes = as_requester.sudo()._create_deposit_refunds()
            except UserError as error:
                refused.append((balance, requester, error.args[0] if error.args else str(error)))
                balance._post_deposit_refund_refused(requester, refused[-1][2])
            else:
                balance._post_deposit_refunded(requester, credit_notes)
            balance.write({"deposit_refund_queued": False, "deposit_refund_user_id": False})
        for balance, requester, message in refused:
            requester.partner_id._bus_send("simple_notification", {
                "type": "danger", "sticky": True, "title": self.env._("Deposit refund refused"),
                "message": self.env._("%(partner)s, %(type)s: %(error)s", partner=balance.partner_id.display_name,
                                      type=balance.asset_type_id.name, error=message),
            })
        told = {requester for _balance, requester, _message in refused}
        for requester in requesters:
            if requester not in told and not self.search_count([
                    ("deposit_refund_queued", "=", True), ("deposit_refund_user_id", "=", requester.id)], limit=1):
                requester.partner_id._bus_send("simple_notification", {
                    "type": "success", "title": self.env._("Deposit refunds done"),
                    "message": self.env._("The deposit refunds you queued are done: each balance's chatter names "
                                          "its credit notes."),
                })

    def _post_deposit_refunded(self, requester, credit_notes):
        self.ensure_one()
        if credit_notes:
            body = self.env._("Deposits refunded in the background, as %(user)s asked: %(documents)s.",
                              user=requester.name, documents=", ".join(credit_notes.mapped("name")))
        else:
            body = self.env._("Nothing was left to refund when the refund %(user)s queued ran: every returned "
                              "unit was already credited.", user=requester.name)
        self.message_post(body=body)

    def _post_deposit_refund_refused(self, requester, message):
        self.ensure_one()
        self.message_post(
            body=self.env._("The deposit refund %(user)s queued was refused, nothing was refunded: %(error)s",
                            user=requester.name or "-", error=message),
            partner_ids=requester.partner_id.ids)

    def action_accept_surplus(self):
        """The Returnable Assets Manager accepts what came back beyond the partner's balance as a counted
        surplus: it stays out of the balance (never negative) and earns no refund."""
        if not self.env.user.has_group("reverse_logistics_assets.group_asset_manager"):
            raise AccessError(self.env._("Only a Returnable Assets Manager may accept a counted surplus."))
        self.check_access("read")
        moves = self.env["stock.move"].sudo().search([
            ("asset_partner_id", "in", self.partner_id.ids), ("asset_type_id", "in", self.asset_type_id.ids),
            ("asset_surplus_state", "=", "pending"), ("state", "=", "done")])
        moves = moves.filtered(lambda m: any(
            m.asset_partner_id == b.partner_id and m.asset_type_id == b.asset_type_id for b in self))
        if not moves:
            raise UserError(self.env._("No surplus waits to be accepted on these balances."))
        moves.write({"asset_surplus_state": "accepted"})
        for balance in self:
            balance.message_post(body=self.env._(
                "%(user)s accepted %(qty)s %(type)s returned beyond the balance as a counted surplus.",
                user=self.env.user.name, type=balance.asset_type_id.name,
                qty=sum(moves.filtered(lambda m, b=balance: m.asset_partner_id == b.partner_id
                                       and m.asset_type_id == b.asset_type_id).mapped("asset_surplus_qty"))))
        self._recompute(self.partner_id, self.asset_type_id)
        return True

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
        run_cron_chunk(todo, lambda chunk: chunk._follow_up(), "followup")

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

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        refuse_mail_creation(self)


class DepositAllocator:
    """Takes units from the charges of a deposit position, first charged first, keeping the units
    reserved for a sale line's refund on the order for that sale line."""

    def __init__(self, position):
        self.charges = position["charges"]
        self.reserved = dict(position["reserved"])
        self.free = {charge: charge.qty_held - self.reserved.get(charge, 0.0) for charge in self.charges}

    def take(self, qty, sale_line=None):
        """[(charge, units)]: from the sale line's charges (its reserved units first) when given, else
        from the units no sale line reserves."""
        allocation = defaultdict(float)
        for charge in self.charges:
            if qty <= 1e-6:
                break
            if sale_line is not None:
                if charge.sale_line_id != sale_line:
                    continue
                pools = ("reserved", "free")
            else:
                pools = ("free",)
            for pool in pools:
                room = self.reserved.get(charge, 0.0) if pool == "reserved" else self.free[charge]
                take = min(qty, room)
                if take <= 1e-6:
                    continue
                if pool == "reserved":
                    self.reserved[charge] -= take
                else:
                    self.free[charge] -= take
                allocation[charge] += take
                qty -= take
        return list(allocation.items())
