from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import check_flow_access
from odoo.exceptions import UserError

from .return_client_fee import FEE_KINDS

RETURNS_MANAGER = "reverse_logistics.group_return_manager"


class ReturnClientFeeEvent(models.Model):
    """One chargeable piece of work done for a client, with the fee frozen when it was done: the monthly
    invoice is built from these, and each one names the invoice line that charged it."""

    _name = "return.client.fee.event"
    _description = "Client Fee Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    client_id = fields.Many2one("res.partner", string="Client (Brand)", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    kind = fields.Selection(FEE_KINDS, required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    order_id = fields.Many2one("return.order", string="Return", readonly=True, index=True, ondelete="restrict")
    grading_id = fields.Many2one("return.grading", string="Graded Units", readonly=True, ondelete="set null")
    quantity = fields.Float(digits="Product Unit of Measure", required=True, readonly=True,
                            help="Units, or unit-days for the days in triage.")
    triage_days = fields.Integer(
        string="Days Charged", readonly=True,
        help="Days in triage: the whole days from the units' receipt to their disposition beyond the free days "
        "of the fee, when they were dispositioned.")
    unit_amount = fields.Monetary(string="Fee", required=True, readonly=True)
    amount = fields.Monetary(compute="_compute_amount", store=True)
    product_id = fields.Many2one("product.product", string="Invoiced As", readonly=True)
    invoice_line_id = fields.Many2one("account.move.line", readonly=True, copy=False,
                                      index="btree_not_null", ondelete="set null")
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")

    @api.depends("quantity", "unit_amount")
    def _compute_amount(self):
        for event in self:
            event.amount = event.currency_id.round(event.quantity * event.unit_amount)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        # Facts of what was done: an invoice is explained by them line by line.
        raise UserError(self.env._("Client fee events are the record of the work done: they are never deleted."))

    # ------------------------------------------------------------------
    # Recording: called by the flow when the work is done
    # ------------------------------------------------------------------
    @api.model
    def _record(self, kind, order, quantity, grading=None):
        """Record `quantity` of `kind` done for `order`'s client at the fee of the client's schedule now.
        Nothing when the return is the company's own or the client has no fee of that kind."""
        return self._record_many([(kind, order, quantity, grading)])

    @api.model
    def _record_many(self, work):
        """Record each (kind, order, quantity, grading) of `work` as `_record` does, reading the clients'
        fee schedules once and creating the events together (a batch of gradings is one call).
        `quantity` may be a callable of the fee, for work whose quantity the fee decides (days in triage)."""
        owned = [(kind, order, quantity, grading, order._get_goods_owner())
                 for kind, order, quantity, grading in work]
        owned = [item for item in owned if item[4]]
        if not owned:
            return self.browse()
        fees = {(fee.company_id, fee.client_id, fee.kind): fee
                for fee in self.env["return.client.fee"].sudo().search([
                    ("client_id", "in", list({item[4].id for item in owned})),
                    ("company_id", "in", list({item[1].company_id.id for item in owned})),
                    ("kind", "in", list({item[0] for item in owned}))])}
        vals_list = []
        for kind, order, quantity, grading, client in owned:
            fee = fees.get((order.company_id, client, kind))
            if not fee:
                continue
            extra = {}
            if callable(quantity):
                quantity, extra = quantity(fee)
                if not quantity:
                    continue
            vals_list.append(dict(self._prepare_event_vals(fee, order, quantity, grading), **extra))
        return self.sudo().create(vals_list)

    @api.model
    def _prepare_event_vals(self, fee, order, quantity, grading=None):
        return {
            "client_id": fee.client_id.id, "company_id": order.company_id.id,
            "currency_id": order.company_id.currency_id.id, "kind": fee.kind, "order_id": order.id,
            "grading_id": grading.id if grading else False, "quantity": quantity, "unit_amount": fee.amount,
            "product_id": fee.product_id.id,
        }

    @api.model
    def _get_triage_days_work(self, grading, until):
        """The days `grading`'s units waited in triage, from their receipt to `until` (their disposition),
        beyond the fee's free days, as work for `_record_many`: quantity = units x days, the days kept."""
        received = grading._get_triage_entry_date()

        def quantity(fee):
            days = (until - received).days - fee.free_days if received else 0
            return (grading.quantity * days, {"triage_days": days}) if days > 0 else (0.0, {})
        return ("triage_day", grading.order_id, quantity, grading)

    # ------------------------------------------------------------------
    # Monthly invoice per client
    # ------------------------------------------------------------------
    @api.model
    def action_invoice_client_fees(self, client_ids=None):
        """Invoice now what was done and not invoiced yet (for these clients, or all)."""
        # Invoiced as the system (a Returns Manager needs no Invoicing rights), after the caller's group.
        check_flow_access(self, RETURNS_MANAGER, operation="read")
        domain = [("company_id", "in", self.env.companies.ids)]
        if client_ids is not None:
            if not isinstance(client_ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) for i in client_ids):
                raise UserError(self.env._("Name the clients by their ids."))
            domain.append(("client_id", "in", client_ids))
        invoices = self.sudo()._invoice_events(domain)
        if not invoices:
            raise UserError(self.env._("Nothing to invoice: every fee event is invoiced already."))
        return invoices.ids

    @api.model
    def _invoice_events(self, domain, limit=None):
        """One invoice per client and company, a line per kind and fee, from the events of `domain` not
        invoiced yet; each event names its line."""
        events = self.search(domain + [("invoice_line_id", "=", False)], order="id", limit=limit)
        by_invoice = defaultdict(lambda: self.browse())
        for event in events:
            by_invoice[event.company_id, event.client_id] |= event
        invoices = self.env["account.move"]
        for (company, client), todo in by_invoice.items():
            by_line = defaultdict(lambda: self.browse())
            for event in todo:
                by_line[event.kind, event.unit_amount, event._get_product()] |= event
            keys = list(by_line)
            invoice = self.env["account.move"].with_company(company).create(
                self._prepare_invoice_vals(company, client, [(key, by_line[key]) for key in keys]))
            lines = invoice.invoice_line_ids.sorted("sequence")
            for key, line in zip(keys, lines, strict=True):
                by_line[key].write({"invoice_line_id": line.id})
            invoices |= invoice
        return invoices

    def _get_product(self):
        self.ensure_one()
        return self.product_id or self.env.ref("reverse_logistics_3pl.product_returns_handling")

    @api.model
    def _prepare_invoice_vals(self, company, client, groups):
        kinds = dict(FEE_KINDS)
        return {
            "move_type": "out_invoice",
            "partner_id": client.id,
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "invoice_origin": self.env._("Returns handling"),
            "invoice_line_ids": [Command.create({
                "sequence": index,
                "product_id": product.id,
                "name": self.env._("%(kind)s (%(count)s events)", kind=kinds[kind], count=len(events)),
                "quantity": sum(events.mapped("quantity")),
                "price_unit": unit_amount,
            }) for index, ((kind, unit_amount, product), events) in enumerate(groups, start=1)],
        }

    @api.model
    def _cron_invoice_client_fees(self, batch_size=None):
        """Monthly: invoice each client the fee events of the months before this one."""
        first_of_month = fields.Datetime.to_datetime(date.today() + relativedelta(day=1))
        domain = [("date", "<", first_of_month), ("invoice_line_id", "=", False)]
        invoices = self.sudo()._invoice_events(domain, limit=batch_size or 5000)
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(invoices), remaining=remaining)
        return invoices
