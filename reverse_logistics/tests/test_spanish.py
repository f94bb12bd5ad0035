from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSpanishBackOffice(ReverseLogisticsCommon):
    """The customer mail, the slip, the grading station and the field labels in Spanish (es.po)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms(["reverse_logistics"], ["es_ES"], overwrite=True)
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, login="rl_es_clerk", lang="es_ES",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.partner.write({"email": "cliente.a@example.es", "lang": "es_ES"})
        cls._stock_in(cls.product, 5)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 3, 100.0, 0.0)])

    def _as_clerk(self, records):
        """What the web client sends for the clerk: his user and his context (lang es_ES)."""
        return records.with_user(self.clerk).with_context(**self.clerk.with_user(self.clerk).context_get())

    def test_spanish_customer_and_clerk(self):
        ret = self._as_clerk(self._new_return(self.sale, qty=1))
        ret.action_submit()
        self.assertEqual(ret.state, "approved")

        html = self._as_clerk(self.env["ir.actions.report"])._render_qweb_html(
            "reverse_logistics.action_report_return_slip", ret.ids)[0].decode()
        self.assertIn("Envíe el paquete a", html)
        self.assertIn("Siga su devolución en línea", html)

        self._write_customer_mails()
        message = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret.id), ("message_type", "=", "comment")])
        self.assertEqual(message.subject, f"Su devolución {ret.name} está aprobada")
        self.assertIn("Imprima el recibo de devolución adjunto", message.body)

        self._receive(ret.sudo().receipt_ids.with_user(self.clerk))
        station = self._as_clerk(self.env["return.grading.station"])
        grades = {grade["code"]: grade["name"] for grade in station.get_grades()}
        self.assertEqual(grades[self.env.ref("reverse_logistics.grade_a").code], "Como nuevo")
        self.assertEqual(station.scan(ret.name)["reason"], "Ya no es necesario")
        self.assertEqual(station.scan("NOPE-42"), {"error": "No queda nada por evaluar para NOPE-42."})

        fields = self._as_clerk(self.env["return.order"]).fields_get(["policy_id", "resolution"])
        self.assertEqual(fields["policy_id"]["string"], "Política de devolución")
        self.assertIn(("store_credit", "Crédito en tienda"), [tuple(s) for s in fields["resolution"]["selection"]])
