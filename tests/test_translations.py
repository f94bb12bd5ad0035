"""Every translatable string of the addons is in their .pot, so translators see all of it.

The terms are read as Odoo's own export reads them (`TranslationModuleReader`: Python `_()` and
`env._()` calls, field strings, help texts and selections, views, mail templates, QWeb and OWL
templates, JavaScript `_t()`), on the database the tests run on, where every addon is installed.
Regenerate a .pot after adding strings with:

    odoo-bin -d DB --i18n-export=<addon>/i18n/<addon>.pot --modules=<addon> --stop-after-init
"""
import os

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDONS = (
    "reverse_logistics",
    "reverse_logistics_recall",
    "reverse_logistics_assets",
    "reverse_logistics_mrp",
    "reverse_logistics_weee",
    "reverse_logistics_3pl",
    "reverse_logistics_delivery",
    "reverse_logistics_spreadsheet_dashboard",
)


@tagged("post_install", "-at_install")
class TestTranslationTemplates(TransactionCase):

    def _exported_terms(self, module):
        reader = TranslationModuleReader(self.env.cr, modules=[module])
        return {row[4] for row in reader if row[0] == module and row[4]}

    def _pot_terms(self, module):
        path = os.path.join(get_module_path(module), "i18n", f"{module}.pot")
        if not os.path.exists(path):
            return None
        return {entry.msgid for entry in polib.pofile(path)}

    def test_every_translatable_string_is_in_the_pot(self):
        for module in ADDONS:
            if not self.env["ir.module.module"].search_count(
                    [("name", "=", module), ("state", "=", "installed")]):
                continue
            with self.subTest(module=module):
                exported = self._exported_terms(module)
                pot = self._pot_terms(module)
                if pot is None:
                    self.assertFalse(exported, f"{module} has translatable strings but no i18n/{module}.pot")
                    continue
                missing = sorted(exported - pot)
                self.assertFalse(
                    missing,
                    f"{len(missing)} translatable string(s) of {module} are missing from its .pot "
                    f"(regenerate it, see this file's docstring), e.g.: {missing[:5]}")

    def test_every_python_file_is_readable_by_the_export(self):
        """Odoo's export reads a file's `_()` calls with babel, which evaluates each argument: one f-string
        among them and every string of the file is silently left out of the .pot (and of this test)."""
        from babel.messages.extract import extract_python
        unreadable = []
        for module in ADDONS:
            root = get_module_path(module)
            for folder, _dirs, files in os.walk(root):
                for name in files:
                    if not name.endswith(".py"):
                        continue
                    path = os.path.join(folder, name)
                    with open(path, "rb") as source:
                        try:
                            list(extract_python(source, ["_", "_lt"], [], {}))
                        except Exception as error:  # noqa: BLE001 - any failure drops the file's terms
                            unreadable.append(f"{os.path.relpath(path, root)} ({module}): {error!r}")
        self.assertFalse(unreadable, "\n".join(unreadable))
