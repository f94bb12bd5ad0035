from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductCategory(models.Model):
    _inherit = "product.category"

    # Defect signals (return.defect.signal): each threshold empty (0) by default, so nothing is signalled.
    defect_min_returns = fields.Float(
        string="Defect Signal: Min Units Returned", digits="Product Unit of Measure",
        help="A product of this category is signalled only once this many units came back in the period. "
        "0: no minimum.")
    defect_max_rate = fields.Float(
        string="Defect Signal: Max Return Rate (%)", digits=(5, 2),
        help="A product returned above this share of the units delivered in the period is signalled. 0: off.")
    defect_period_days = fields.Integer(string="Defect Signal: Period (days)", default=90)
    defect_user_id = fields.Many2one(
        "res.users", string="Defect Signal: Responsible", domain="[('share', '=', False)]",
        help="Gets the defect activity of products that have no responsible of their own.")

    @api.constrains("defect_min_returns", "defect_max_rate", "defect_period_days")
    def _check_defect_thresholds(self):
        for categ in self:
            if categ.defect_min_returns < 0 or not 0 <= categ.defect_max_rate <= 100:
                raise ValidationError(self.env._(
                    "A defect threshold is 0 or more, and a rate a percentage between 0 and 100."))
            if categ.defect_period_days < 1:
                raise ValidationError(self.env._("The defect signal period is at least one day."))

    def _get_defect_thresholds_category(self):
        """The nearest category (this one or a parent) that sets a defect threshold, or an empty one."""
        self.ensure_one()
        categ = self
        while categ:
            if categ.defect_max_rate or categ.defect_min_returns:
                return categ
            categ = categ.parent_id
        return self.browse()
