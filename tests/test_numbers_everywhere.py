"""Numbers no flow can hold (1e308, infinities, NaN) typed into any number field of the addons' own models
and wizards, as JSON-RPC sends them: a clear UserError or ValidationError, never a server error (an outside
tester got an OverflowError from the liquidation wizard's price)."""
import math

from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

ABSURD = (1e308, -1e308, math.inf, math.nan)


@tagged("post_install", "-at_install")
class TestNumbersEverywhere(ReverseLogisticsCommon):

    def _number_fields(self):
        """(model, field) of every stored or wizard number field a module of the addons defines."""
        for model_name in self.env.registry:
            model = self.env[model_name]
            if model._abstract or not model._auto:
                continue
            for name, field in model._fields.items():
                if field.type not in ("float", "monetary", "integer") or field.compute and not field.inverse \
                        and field.readonly and not field.store:
                    continue
                if getattr(field, "_module", "") and field._module.startswith("reverse_logistics") \
                        and not field.related:
                    yield model_name, name

    def test_absurd_numbers_are_refused_with_a_message(self):
        checked = 0
        for model_name, name in self._number_fields():
            model = self.env[model_name].with_user(self.env.ref("base.user_admin"))
            for value in ABSURD:
                with self.subTest(model=model_name, field=name, value=value):
                    try:
                        with self.env.cr.savepoint():
                            model.create({name: value})
                    except (UserError, ValidationError, AccessError):
                        pass
                    except Exception as error:  # noqa: BLE001 - the point: anything else is a server error
                        # A missing required field is the ORM's own clear refusal (psycopg2 NOT NULL).
                        if "null value in column" not in str(error) and "not-null" not in str(error):
                            self.fail(f"{model_name}.{name} = {value}: {type(error).__name__}: {error}")
            checked += 1
        self.assertGreater(checked, 20)

    def test_absurd_numbers_in_writes_and_lines(self):
        admin = self.env.ref("base.user_admin")
        policy = self.policy.with_user(admin)
        for vals in ({"window_days": 1e308}, {"window_days": 2**31}, {"auto_approve_max_amount": math.nan},
                     {"restocking_fee_percent": "1e308"}):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "is not a valid number"):
                policy.write(vals)
        with self.assertRaisesRegex(UserError, "is not a valid number"):
            self.env["return.order"].with_user(admin).create({
                "partner_id": self.partner.id,
                "line_ids": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": 1e308})]})

    def test_absurd_numbers_by_the_other_doors(self):
        """Third round: an integer of 401 digits (JSON has no limit), the form's onchange and a context
        default still reached the ORM's rounding as server errors."""
        admin = self.env.ref("base.user_admin")
        policy = self.policy.with_user(admin)
        with self.assertRaisesRegex(UserError, "is not a valid number"):
            policy.write({"window_days": 10**401})
        with self.assertRaisesRegex(UserError, "is not a valid number"):
            policy.write({"auto_approve_max_amount": -(10**401)})
        returns = self.env["return.order"].with_user(admin)
        with self.assertRaisesRegex(UserError, "is not a valid number"):
            self.env["return.policy"].with_user(admin).with_context(default_window_days=1e308).create(
                {"name": "Defaults from the context"})
        line_spec = {"product_id": {}, "product_uom_qty": {}, "price_unit": {}}
        for value in (1e308, math.nan, math.inf):
            with self.subTest(value=value), self.assertRaisesRegex(UserError, "is not a valid number"):
                returns.onchange(
                    {"partner_id": self.partner.id,
                     "line_ids": [(0, "virtual_1", {"product_id": self.product.id, "product_uom_qty": 1,
                                                    "price_unit": value})]},
                    ["line_ids"], {"partner_id": {}, "line_ids": {"fields": line_spec}})
