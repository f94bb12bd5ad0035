import re

from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import new_test_user, tagged

from .http_common import ReverseLogisticsHttpCase


def load_french(env):
    """Activate French and load the addon's fr.po, as a French install does (the template database
    may not have the language)."""
    env["res.lang"]._activate_lang("fr_FR")
    env["ir.module.module"]._load_module_terms(["reverse_logistics"], ["fr_FR"], overwrite=True)


@tagged("post_install", "-at_install")
class TestFrenchPortal(ReverseLogisticsHttpCase):
    """A French customer asks for a return on the portal and reads it in French."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)

    def test_portal_request_and_return_page_in_french(self):
        env = self.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        product = env["product.product"].create({
            "name": "Grille-pain", "is_storable": True, "list_price": 40, "invoice_policy": "delivery"})
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 5)
        partner = env["res.partner"].create({"name": "Client Français", "email": "client@example.fr", "lang": "fr_FR"})
        env["res.users"].create({
            "name": "Client Français", "login": "client_fr", "password": "client_fr", "partner_id": partner.id,
            "lang": "fr_FR", "groups_id": [Command.set(env.ref("base.group_portal").ids)],
        })
        order = env["sale.order"].create({
            "partner_id": partner.id, "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 3})],
        })
        order.action_confirm()
        order.picking_ids.move_ids.quantity = 3
        order.picking_ids.move_ids.picked = True
        order.picking_ids.button_validate()
        reason = env.ref("reverse_logistics.return_reason_not_needed")

        self.authenticate("client_fr", "client_fr")
        form = self.url_open(f"/my/orders/{order.id}/return")
        self.assertEqual(form.status_code, 200)
        self.assertIn(f"Retourner des articles de {order.name}", form.text)
        self.assertIn("Pourquoi les renvoyez-vous ?", form.text)
        self.assertIn("Choisissez un motif...", form.text)
        self.assertIn("Plus nécessaire", form.text, "the reason's name is translated too")
        self.assertIn("Demander le retour", form.text)
        self.assertNotIn("Why do you send them back?", form.text)
        key = f"{order.picking_ids.move_ids.id}-0"
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)

        # The policy's refusal, raised in Python, reaches the customer in French.
        too_many = self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{key}": "4", "reason_id": reason.id})
        self.assertIn("peuvent encore être retournés (livré moins déjà retourné)", too_many.text)

        done = self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{key}": "2", "reason_id": reason.id})
        ret = env["return.order"].search([("sale_order_id", "=", order.id)])
        self.assertEqual(ret.state, "approved")
        self.assertIn(f"/my/returns/{ret.id}", done.url)
        page = self.url_open(f"/my/returns/{ret.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"Retour {ret.name}", page.text)
        self.assertIn("Crédité jusqu&#39;ici :", page.text.replace("'", "&#39;"))
        self.assertIn("Imprimer le bon de retour", page.text)
        self.assertIn("Remboursement", page.text, "the resolution's selection label")
        self.assertNotIn("Print the return slip", page.text)


@tagged("post_install", "-at_install")
class TestFrenchTokenLinks(ReverseLogisticsHttpCase):
    """A customer without a portal account opens the links of his mails (the return's token link, the
    guest request link): the page speaks his language, not the public visitor's default."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)
        env = cls.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.product = env["product.product"].create({
            "name": "Bouilloire", "is_storable": True, "list_price": 30, "invoice_policy": "delivery"})
        env["stock.quant"]._update_available_quantity(cls.product, warehouse.lot_stock_id, 10)
        cls.french = env["res.partner"].create({"name": "Cliente Sans Compte", "email": "cliente@example.fr",
                                                "lang": "fr_FR"})
        cls.english = env["res.partner"].create({"name": "Guest Customer", "email": "guest@example.com",
                                                 "lang": "en_US"})
        cls.orders = {}
        for partner in (cls.french, cls.english):
            order = env["sale.order"].create({
                "partner_id": partner.id, "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 2})],
            })
            order.action_confirm()
            order.picking_ids.move_ids.quantity = 2
            order.picking_ids.move_ids.picked = True
            order.picking_ids.button_validate()
            cls.orders[partner] = order

    def _return_of(self, partner):
        sale = self.orders[partner]
        ret = self.env["return.order"].create({
            "partner_id": partner.id, "sale_order_id": sale.id,
            "line_ids": [Command.create({"product_id": self.product.id, "product_uom_qty": 1,
                                         "sale_line_id": sale.order_line.id,
                                         "reason_id": self.env.ref("reverse_logistics.return_reason_not_needed").id})],
        })
        ret.action_submit()
        return ret

    def test_return_token_link_in_the_customers_language(self):
        ret = self._return_of(self.french)
        page = self.url_open(ret.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"Retour {ret.name}", page.text)
        self.assertNotIn(f"Return {ret.name}", page.text)
        english = self._return_of(self.english)
        page = self.url_open(english.get_portal_url())
        self.assertIn(f"Return {english.name}", page.text)
        # A visitor who chose a language on the site keeps it.
        self.opener.cookies["frontend_lang"] = "en_US"
        page = self.url_open(ret.get_portal_url())
        self.assertIn(f"Return {ret.name}", page.text)
        # Without the token nothing is shown, in any language.
        del self.opener.cookies["frontend_lang"]
        page = self.url_open(f"/my/returns/{ret.id}")
        self.assertNotIn(ret.name, page.text)

    def test_guest_request_link_in_the_customers_language(self):
        attempts = self.env["return.guest.attempt"]
        sale = self.orders[self.french]
        form = self.url_open(f"/returns/guest/{sale.id}?token={attempts._get_guest_token(sale)}")
        self.assertEqual(form.status_code, 200)
        self.assertIn(f"Retourner des articles de {sale.name}", form.text)
        sale = self.orders[self.english]
        form = self.url_open(f"/returns/guest/{sale.id}?token={attempts._get_guest_token(sale)}")
        self.assertIn("Return items from", form.text)


@tagged("post_install", "-at_install")
class TestFrenchBackOffice(ReverseLogisticsCommon):
    """The slip, the customer mails, the grading station and the field labels in French."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_french(cls.env)
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, login="rl_fr_clerk", lang="fr_FR",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.partner.write({"email": "client.a@example.fr", "lang": "fr_FR"})
        cls._stock_in(cls.product, 5)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 3, 100.0, 0.0)])

    def _as_clerk(self, records):
        """What the web client sends for the clerk: his user and his context (lang fr_FR)."""
        return records.with_user(self.clerk).with_context(**self.clerk.with_user(self.clerk).context_get())

    def test_slip_and_mail_in_french(self):
        ret = self._as_clerk(self._new_return(self.sale, qty=2))
        ret.action_submit()
        self.assertEqual(ret.state, "approved")

        html = self._as_clerk(self.env["ir.actions.report"])._render_qweb_html(
            "reverse_logistics.action_report_return_slip", ret.ids)[0].decode()
        self.assertIn("Envoyez le colis à", html)
        self.assertIn("Commande :", html)
        self.assertIn("Suivez votre retour en ligne", html)
        self.assertIn("<th>Lot/numéro de série</th>", html)
        self.assertIn("Plus nécessaire", html, "the reason's name")
        self.assertNotIn("Send the parcel to", html)

        self._write_customer_mails()
        message = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret.id), ("message_type", "=", "comment")])
        self.assertEqual(len(message), 1)
        self.assertEqual(message.subject, f"Votre retour {ret.name} est approuvé")
        self.assertIn("Bonjour", message.body)
        self.assertIn("Imprimez le bon de retour joint", message.body)
        self.assertIn("votre retour</a>", message.body)
        self.assertNotIn("Print the attached return slip", message.body)

    def test_grading_station_and_labels_in_french(self):
        ret = self._as_clerk(self._new_return(self.sale, qty=1))
        ret.action_submit()
        self._receive(ret.sudo().receipt_ids.with_user(self.clerk))
        station = self._as_clerk(self.env["return.grading.station"])
        grades = {grade["code"]: grade["name"] for grade in station.get_grades()}
        like_new = self.env.ref("reverse_logistics.grade_a")
        self.assertEqual(grades[like_new.code], "Comme neuf")
        unit = station.scan(ret.name)
        self.assertEqual(unit["order"], ret.name)
        self.assertEqual(unit["reason"], "Plus nécessaire")
        self.assertEqual(station.scan("NOPE-42"), {"error": "Plus rien à évaluer pour NOPE-42."})
        # The station's own texts (OWL template and _t()) as the web client downloads them.
        translations, _lang_params = self.env["ir.http"].get_translations_for_webclient(["reverse_logistics"], "fr_FR")
        texts = {message["id"]: message["string"] for message in translations["reverse_logistics"]["messages"]}
        self.assertEqual(texts["Grading Station"], "Poste d'évaluation")
        self.assertEqual(texts["Esc: back to scanning"], "Échap : retour au scan")

        fields = self._as_clerk(self.env["return.order"]).fields_get(["policy_id", "resolution", "state"])
        self.assertEqual(fields["policy_id"]["string"], "Politique de retour")
        self.assertIn(("store_credit", "Crédit boutique"), [tuple(s) for s in fields["resolution"]["selection"]])
        self.assertIn(("receiving", "Réception en cours"), [tuple(s) for s in fields["state"]["selection"]])
        line_fields = self._as_clerk(self.env["return.order.line"]).fields_get(["qty_to_grade"])
        self.assertEqual(line_fields["qty_to_grade"]["string"], "À évaluer")
