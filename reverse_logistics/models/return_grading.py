
from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import clean_context


class ReturnGrading(models.Model):
    """Units of a return line graded together, and what was done with them.

    A line of 5 graded 3 as B and 2 as C has two gradings: this is how the line "splits" while its
    receipt moves stay whole. A regrade (after refurbishment) is a new grading pointing to the
    previous one, so the history is kept.
    """

    _name = "return.grading"
    _inherit = ["reverse.logistics.flow.mixin"]
    _description = "Graded Return Units"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    line_id = fields.Many2one("return.order.line", string="Return Line", required=True, ondelete="cascade",
                              index=True)
    order_id = fields.Many2one(related="line_id.order_id", store=True, index=True)
    company_id = fields.Many2one(related="line_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    warehouse_id = fields.Many2one(related="order_id.warehouse_id", store=True)
    # The line's product, or what the line's receipt brought in for it (the components of a kit).
    product_id = fields.Many2one(
        "product.product", compute="_compute_product_id", store=True, readonly=False, precompute=True, index=True,
    )
    categ_id = fields.Many2one(related="product_id.categ_id", store=True, string="Product Category")
    partner_id = fields.Many2one(related="order_id.commercial_partner_id", store=True, string="Customer")
    reason_id = fields.Many2one(related="line_id.reason_id", store=True)
    return_type = fields.Selection(related="order_id.return_type", store=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", check_company=True)
    quantity = fields.Float(digits="Product Unit of Measure", required=True, default=1.0)
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")

    grade_id = fields.Many2one("return.grade", required=True, index=True)
    checklist_id = fields.Many2one("return.grade.checklist")
    answer_ids = fields.One2many("return.grading.answer", "grading_id", string="Checklist Answers")
    score = fields.Float(string="Checklist Score (%)", digits=(5, 2), readonly=True)
    suggested_grade_id = fields.Many2one("return.grade", readonly=True)
    note = fields.Text()
    attachment_ids = fields.Many2many("ir.attachment", string="Photos")
    user_id = fields.Many2one("res.users", string="Graded By", default=lambda self: self.env.user)

    state = fields.Selection(
        [
            ("graded", "Graded"),
            ("dispositioned", "In Process"),
            ("done", "Done"),
        ],
        default="graded", required=True, index=True, readonly=True,
        help="In Process: the disposition started and waits for its end (repair, repackaging, vendor shipment).",
    )
    disposition_id = fields.Many2one("return.disposition", index=True)
    operation = fields.Selection(related="disposition_id.operation", store=True)
    environmental_outcome = fields.Selection(related="disposition_id.environmental_outcome", store=True)
    disposition_rule_id = fields.Many2one("return.disposition.rule", readonly=True)
    disposition_note = fields.Text(string="Why", readonly=True, help="The rule or the values behind the decision.")
    previous_grading_id = fields.Many2one("return.grading", string="Regrade Of", readonly=True, index="btree_not_null")

    unit_value = fields.Monetary(compute="_compute_unit_value", store=True, readonly=False)
    processing_cost = fields.Monetary(readonly=True)
    recovery_value = fields.Monetary(
        help="Value recovered: resale value of restocked units, price paid by a liquidator, "
        "vendor credit of units returned to the vendor.",
    )
    net_recovery = fields.Monetary(compute="_compute_net_recovery", store=True)
    weight = fields.Float(digits="Stock Weight", compute="_compute_weight", store=True)
    co2_kg = fields.Float(string="CO2e (kg)", digits=(16, 3), readonly=True)
    landfill_weight = fields.Float(digits="Stock Weight", readonly=True)

    date_graded = fields.Datetime(default=fields.Datetime.now, readonly=True, index=True)
    date_dispositioned = fields.Datetime(readonly=True)
    date_done = fields.Datetime(readonly=True)

    move_ids = fields.One2many("stock.move", "return_grading_id", string="Stock Moves")
    scrap_ids = fields.One2many("stock.scrap", "return_grading_id", string="Scraps")
    repair_id = fields.Many2one("repair.order", readonly=True, index="btree_not_null")
    refurbished_product_id = fields.Many2one(
        "product.product", string="Refurbished As", readonly=True,
        help="The product the units went back to stock as once refurbished.",
    )
    vendor_credit_note_id = fields.Many2one("account.move", string="Vendor Credit Note", readonly=True)
    liquidation_line_id = fields.Many2one(
        "sale.order.line", string="Sold to Liquidator", readonly=True, index="btree_not_null", copy=False)

    @api.depends("line_id", "grade_id", "quantity")
    def _compute_name(self):
        for grading in self:
            grading.name = f"{grading.order_id.name}: {grading.quantity:g} x {grading.product_id.display_name} " \
                f"({grading.grade_id.code or '?'})"

    @api.depends("line_id")
    def _compute_product_id(self):
        for grading in self:
            if not grading.product_id:
                grading.product_id = grading.line_id.product_id

    @api.depends("line_id.price_unit", "line_id.discount", "product_id")
    def _compute_unit_value(self):
        for grading in self:
            grading.unit_value = grading.line_id._get_unit_value()

    @api.depends("recovery_value", "processing_cost")
    def _compute_net_recovery(self):
        for grading in self:
            grading.net_recovery = grading.recovery_value - grading.processing_cost

    @api.depends("product_id.weight", "quantity")
    def _compute_weight(self):
        for grading in self:
            grading.weight = grading.product_id.weight * grading.quantity

    @api.constrains("quantity", "line_id", "previous_grading_id", "product_id")
    def _check_quantity(self):
        # What the line received is read as the system (a kit's sale line may be another salesperson's).
        for line in self.sudo().filtered(lambda g: not g.previous_grading_id).line_id:
            if any(float_compare(g.quantity, 0, precision_rounding=g.product_uom_id.rounding) <= 0
                   for g in line.grading_ids):
                raise ValidationError(self.env._("A graded quantity must be positive."))
            gradable = line._get_gradable_quantities()
            for product, gradings in line.grading_ids.filtered(
                    lambda g: not g.previous_grading_id).grouped("product_id").items():
                if product not in gradable:
                    raise ValidationError(self.env._(
                        "%(order)s: %(product)s is not what %(line)s received.", order=line.order_id.name,
                        product=product.display_name, line=line.product_id.display_name,
                    ))
                graded = sum(gradings.mapped("quantity"))
                if float_compare(graded, gradable[product], precision_rounding=product.uom_id.rounding) > 0:
                    raise ValidationError(self.env._(
                        "%(order)s, %(product)s: %(graded)s graded but only %(received)s received.",
                        order=line.order_id.name, product=product.display_name,
                        graded=graded, received=gradable[product],
                    ))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_pending(self):
        if any(g.state != "graded" for g in self):
            raise UserError(self.env._("Units already dispositioned keep their grading."))

    # ------------------------------------------------------------------
    # What users may write (reverse.logistics.flow.mixin): grades and the disposition chosen by hand
    # before it runs; values, states and documents are the flow's
    # ------------------------------------------------------------------
    @api.model
    def _get_user_creatable_fields(self, vals):
        return {"line_id", "product_id", "lot_id", "quantity", "grade_id", "note", "attachment_ids",
                "disposition_id"}

    def _get_user_writable_fields(self):
        self.ensure_one()
        if self.state == "graded":
            return {"lot_id", "quantity", "grade_id", "note", "attachment_ids", "disposition_id"}
        return {"note", "attachment_ids"}

    def _get_current(self):
        """The latest grading of each unit set: regraded ones give way to their regrade."""
        superseded = self.previous_grading_id
        return self.filtered(lambda g: g not in superseded)

    # ------------------------------------------------------------------
    # Grading
    # ------------------------------------------------------------------
    @api.model
    def _prepare_checklist_vals(self, product, passed_question_ids):
        """Answers, score and suggested grade for a product's checklist."""
        checklist = self.env["return.grade.checklist"]._get_for_product(product)
        if not checklist:
            return {}
        passed = self.env["return.grade.question"].browse(passed_question_ids)
        score = checklist._score(passed)
        return {
            "checklist_id": checklist.id,
            "score": score,
            "suggested_grade_id": self.env["return.grade"]._suggest_from_score(score).id,
            "answer_ids": [Command.create({"question_id": q.id, "passed": q in passed})
                           for q in checklist.question_ids],
        }

    def action_regrade(self, grade):
        """Grade again units already processed (after refurbishment); the earlier grading stays.
        `grade`: a return.grade, or its id (over RPC)."""
        self._check_flow_access("reverse_logistics.group_return_user")
        if not isinstance(grade, models.BaseModel):
            grade = self.env["return.grade"].browse(self._check_id(grade, self.env._("Grade")))
        grade = grade.exists()
        if len(grade) != 1:
            raise UserError(self.env._("Choose one existing grade."))
        grade.check_access("read")
        regrades = self.browse()
        for grading in self:
            if grading.state != "done":
                raise UserError(self.env._("Only processed units can be graded again."))
            regrades |= self.sudo().with_context(clean_context(self.env.context)).create({
                "line_id": grading.line_id.id,
                "product_id": grading.product_id.id,
                "lot_id": grading.lot_id.id,
                "quantity": grading.quantity,
                "grade_id": grade.id,
                "previous_grading_id": grading.id,
                "state": "done",
                "date_done": fields.Datetime.now(),
            })
        return regrades
