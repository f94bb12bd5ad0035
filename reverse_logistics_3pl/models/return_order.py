from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import check_id, check_number
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import clean_context, email_normalize

RETURNS_USER = "reverse_logistics.group_return_user"


class ReturnOrder(models.Model):
    _inherit = "return.order"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", tracking=True, index="btree_not_null", check_company=True,
        help="The brand that owns the returned goods: they are received into its ownership and stay its "
             "own through every disposition. The 3PL values none of them and credits no customer.",
    )
    client_ref = fields.Char(
        string="Brand's Order Reference", index="btree_not_null", tracking=True, copy=False,
        help="The brand's own order reference for these goods (the sale was made in the brand's shop).",
    )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("client_id", "resolution")
    def _check_client_resolution(self):
        for order in self.filtered("client_id"):
            if order.resolution != "none":
                raise ValidationError(self.env._(
                    "%(name)s returns goods of %(client)s: the brand refunds its own customer, so the return "
                    "is resolved by no credit note, store credit or replacement from this company (resolution "
                    "'No Resolution').", name=order.name, client=order.client_id.display_name))

    @api.onchange("client_id")
    def _onchange_client_id(self):
        if self.client_id:
            self.resolution = "none"

    # ------------------------------------------------------------------
    # CRUD and protected fields
    # ------------------------------------------------------------------
    @api.model
    def _get_user_document_fields(self):
        # Whose goods they are is what the receipt's ownership is made of: fixed once submitted.
        return super()._get_user_document_fields() + ["client_id", "client_ref"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A client's return credits no one here: its resolution is none unless one is asked for
            # (and then refused by the constraint, loudly).
            if vals.get("client_id") and "resolution" not in vals:
                vals["resolution"] = "none"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Receipt: the client's fee per return received
    # ------------------------------------------------------------------
    def _on_receipt_done(self):
        first = self.filtered(lambda o: o.client_id and not o.date_first_receipt)
        res = super()._on_receipt_done()
        for order in first.filtered("date_first_receipt"):
            self.env["return.client.fee.event"]._record("received", order, 1.0)
        return res

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _get_goods_owner(self):
        """The partner who owns this return's units once received: the client, or nobody (the company)."""
        self.ensure_one()
        return self.client_id

    # ==================================================================
    # Returns announced by the brand (JSON-RPC)
    # The brand sold the goods in its own shop: the 3PL's Odoo holds no sale, delivery or invoice for
    # them. The brand (its portal user, for its own goods only) or the 3PL's returns staff announce the
    # return with the brand's order reference, the customer and the lines; the units are then received
    # into the brand's ownership like any client return.
    # ==================================================================
    @api.model
    def action_announce_client_return(self, vals):
        """Create and submit the return of a client's goods announced by the brand.

        `vals`: {"client_id": int, "client_ref": str, "customer": {"name": str, "email": str},
        "lines": [{"product": default code or barcode, "qty": number, "lot": str (optional),
        "price": number (optional, the unit value for grading)}], "note": str (optional)}.
        Returns {"id", "name"} of the return. Nothing is created unless everything is valid."""
        if not isinstance(vals, dict):
            raise UserError(self.env._("An announced return is a dictionary of values."))
        client = self._get_announcing_client(vals.get("client_id"))
        client_ref = vals.get("client_ref")
        if not isinstance(client_ref, str) or not client_ref.strip():
            raise UserError(self.env._("An announced return needs the brand's order reference (client_ref)."))
        client_ref = client_ref.strip()
        # Looked up as the system: the portal user does not read the 3PL's returns of other brands' goods.
        existing = self.sudo().search([("client_id", "=", client.id), ("client_ref", "=", client_ref),
                                       ("company_id", "=", self.env.company.id)], limit=1)
        if existing:
            raise UserError(self.env._(
                "%(client)s already announced a return for order %(ref)s: %(name)s.",
                client=client.display_name, ref=client_ref, name=existing.name))
        line_vals = [self._prepare_announced_line_vals(line) for line in self._get_announced_lines(vals)]
        customer = self._get_announced_customer(client, vals.get("customer"))
        note = vals.get("note")
        if note is not None and not isinstance(note, str):
            raise UserError(self.env._("The note of an announced return is text."))
        # Created as the system with only the values built here: no default of the caller's context
        # (default_state, default_resolution) and no field the caller chose.
        order = self.sudo().with_context(clean_context(self.env.context)).with_company(self.env.company).create(
            self._prepare_announced_return_vals(client, client_ref, customer, line_vals, note or False))
        order.message_post(body=self.env._(
            "Announced by %(user)s for %(client)s, order %(ref)s.", user=self.env.user.display_name,
            client=client.display_name, ref=client_ref))
        order.action_submit()
        return {"id": order.id, "name": order.name}

    @api.model
    def _get_announcing_client(self, client_id):
        """The client whose goods are announced, after the caller's rights: the 3PL's returns staff for
        any client of the company, a portal user for their own company (commercial partner) only."""
        check_id(self.env, client_id, self.env._("Client"))
        user = self.env.user
        client = self.env["res.partner"].sudo().browse(client_id).exists()
        if user.has_group(RETURNS_USER):
            if not client or (client.company_id and client.company_id != self.env.company):
                raise UserError(self.env._("Client %(id)s is no partner of %(company)s.", id=client_id,
                                           company=self.env.company.name))
            return client
        if user._is_portal() and client and client == user.partner_id.commercial_partner_id \
                and not (client.company_id and client.company_id != self.env.company):
            return client
        # The same refusal whether the partner exists or not: a brand learns nothing of other partners.
        raise AccessError(self.env._(
            "Only the returns team or the brand itself may announce returns of the brand's goods."))

    @api.model
    def _get_announced_lines(self, vals):
        lines = vals.get("lines")
        if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
            raise UserError(self.env._("An announced return needs lines: a list of dictionaries."))
        if len(lines) > 500:
            raise UserError(self.env._("An announced return holds at most 500 lines."))
        return lines

    @api.model
    def _find_announced_product(self, code):
        """The product a brand names by its default code or barcode, among this company's products."""
        if not isinstance(code, str) or not code.strip():
            raise UserError(self.env._("Each announced line names its product (default code or barcode)."))
        code = code.strip()
        products = self.env["product.product"].sudo().search([
            "|", ("default_code", "=", code), ("barcode", "=", code), ("type", "=", "consu"),
            *self.env["product.product"]._check_company_domain(self.env.company),
        ], limit=2)
        if len(products) != 1:
            raise UserError(self.env._(
                "%(code)s names %(what)s: announce the product by its default code or barcode.", code=code,
                what=self.env._("no product") if not products else self.env._("more than one product")))
        return products

    @api.model
    def _prepare_announced_line_vals(self, line):
        product = self._find_announced_product(line.get("product"))
        qty = check_number(self.env, line.get("qty"), self.env._("Quantity"))
        if qty <= 0:
            raise UserError(self.env._("%(product)s: the quantity announced must be positive.",
                                       product=product.display_name))
        price = check_number(self.env, line.get("price", 0.0), self.env._("Unit Price"))
        if price < 0:
            raise UserError(self.env._("%(product)s: a unit price is never negative.", product=product.display_name))
        vals = {"product_id": product.id, "product_uom_qty": qty, "price_unit": price}
        lot_name = line.get("lot")
        if lot_name not in (None, False, ""):
            if not isinstance(lot_name, str) or product.tracking == "none":
                raise UserError(self.env._("%(product)s is tracked by no lot or serial number: %(lot)s.",
                                           product=product.display_name, lot=lot_name))
            if product.tracking == "serial" and qty != 1:
                raise UserError(self.env._("%(product)s: one unit per serial number (%(lot)s).",
                                           product=product.display_name, lot=lot_name))
            vals["lot_id"] = self._get_announced_lot(product, lot_name.strip()).id
        return vals

    @api.model
    def _get_announced_lot(self, product, name):
        """The brand's lot or serial number: this company's lot of that name, or a new one (the brand's
        units were never in this company's stock)."""
        lots = self.env["stock.lot"].sudo()
        lot = lots.search([("product_id", "=", product.id), ("name", "=", name),
                          *lots._check_company_domain(self.env.company)], limit=1)
        return lot or lots.create({"product_id": product.id, "name": name, "company_id": self.env.company.id})

    @api.model
    def _get_announced_customer(self, client, customer_vals):
        """The brand's customer, kept as a contact of the brand: found again by e-mail among the brand's
        contacts only, so a brand never attaches a return to a partner of the 3PL or of another brand."""
        if not isinstance(customer_vals, dict) or not isinstance(customer_vals.get("name"), str) \
                or not customer_vals["name"].strip():
            raise UserError(self.env._("An announced return names its customer: {'name': ..., 'email': ...}."))
        email = customer_vals.get("email")
        if email is not None and not (isinstance(email, str) and email_normalize(email)):
            raise UserError(self.env._("%(email)s is not an e-mail address.", email=email))
        partners = self.env["res.partner"].sudo()
        if email:
            found = partners.search([("parent_id", "=", client.id), ("type", "=", "other"),
                                    ("email_normalized", "=", email_normalize(email))], limit=1)
            if found:
                return found
        return partners.create({
            "name": customer_vals["name"].strip(), "email": email or False, "parent_id": client.id,
            "type": "other", "company_id": client.company_id.id,
        })

    def _prepare_announced_return_vals(self, client, client_ref, customer, line_vals, note):
        reason = self.env.ref("reverse_logistics.return_reason_not_needed", raise_if_not_found=False)
        return {
            "partner_id": customer.id,
            "client_id": client.id,
            "client_ref": client_ref,
            "company_id": self.env.company.id,
            "return_type_id": self._get_default_return_type(self.env.company).id,
            "resolution": "none",
            "customer_note": note,
            "line_ids": [Command.create({"reason_id": reason.id if reason else False, **vals})
                         for vals in line_vals],
        }

    # ==================================================================
    # The brand's portal
    # ==================================================================
    def _is_brand_portal_viewer(self, user):
        """Whether `user` (the visitor: the portal controller hands the return as the system) is a portal
        user of the brand that owns this return's goods."""
        self.ensure_one()
        return bool(self.client_id) and user._is_portal() \
            and self.client_id.commercial_partner_id == user.partner_id.commercial_partner_id

    def _get_brand_portal_gradings(self, user):
        """The gradings shown on the brand's portal page, read as the visitor through its record rules (the
        grade, checklist and disposition names are the 3PL's configuration, shown as names only)."""
        self.ensure_one()
        gradings = self.env["return.grading"].with_user(user)
        if not self._is_brand_portal_viewer(user):
            return gradings
        return gradings.search([("order_id", "=", self.id)], order="id")
