"""Odoo's layout in every addon of the project: each model an addon defines or extends is in one file
named after it, so a method's whole chain inside an addon is one method (no sibling file overriding it,
no import order deciding); the bridge addons use Odoo's crons, not the core's home-made queue."""
import ast
from collections import defaultdict
from pathlib import Path

from odoo.tests import BaseCase, tagged

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(path.parent for path in ROOT.glob("*/__manifest__.py"))

# Names of the core's former batch queue and write-guard mixin, which Odoo's crons (_notify_progress)
# and protected fields replaced: no addon brings them back.
RETIRED_MECHANISMS = ("reverse.logistics.batch", "reverse.logistics.flow.mixin", "_run_cron_chunk",
                      "_get_size_limit", "_on_batch_done")

# Models that once were spread over several files, each now in the one file named after it.
KNOWN_FILES = {
    "reverse_logistics": ("return.order", "return.order.line", "return.grading", "return.policy",
                          "return.disposition", "product.template", "stock.picking"),
    "reverse_logistics_weee": ("weee.register", "weee.register.line", "product.template", "return.disposition",
                               "return.grading", "return.order", "return.type", "stock.move"),
}


def models_by_file(addon):
    """{file: [model]} of an addon's Python files (tests aside): a model is its _name, or the (first)
    _inherit it extends when it has no _name."""
    result = {}
    for path in sorted(addon.rglob("*.py")):
        if "tests" in path.relative_to(addon).parts:
            continue
        models = []
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            attrs = {target.id: stmt.value for stmt in node.body if isinstance(stmt, ast.Assign)
                     for target in stmt.targets if isinstance(target, ast.Name)}
            for key in ("_name", "_inherit"):
                value = attrs.get(key)
                if isinstance(value, ast.List) and value.elts:
                    value = value.elts[0]
                if isinstance(value, ast.Constant):
                    models.append(value.value)
                    break
        if models:
            result[path.relative_to(addon)] = models
    return result


@tagged("post_install", "-at_install")
class TestLayout(BaseCase):

    def test_addons_found(self):
        self.assertIn("reverse_logistics", [addon.name for addon in ADDONS])
        self.assertGreaterEqual(len(ADDONS), 6)

    def test_one_file_per_model_named_after_it(self):
        for addon in ADDONS:
            files_by_model = defaultdict(list)
            for path, models in models_by_file(addon).items():
                for model in models:
                    files_by_model[model].append(str(path))
                # QWeb report models (report.<module>.<template>) live in the file of their report.
                own = [model for model in models if not model.startswith("report.")]
                if not own:
                    continue
                main = [model for model in own if model.replace(".", "_") == path.stem]
                with self.subTest(addon=addon.name, file=str(path)):
                    self.assertEqual(len(main), 1, f"{addon.name}/{path}: named after none of its models {own}")
                    for model in own:
                        # A wizard's lines live with their wizard (return.order.create.line).
                        self.assertTrue(model == main[0] or model.startswith(main[0] + "."),
                                        f"{addon.name}/{path}: {model} is not {main[0]} nor one of its lines")
            split = {model: files for model, files in files_by_model.items() if len(files) > 1}
            self.assertFalse(split, f"{addon.name}: a model spread over (or overridden by) several files")

    def test_known_models_in_their_file(self):
        for addon_name, models in KNOWN_FILES.items():
            by_model = {model: str(path) for path, found in models_by_file(ROOT / addon_name).items()
                        for model in found}
            for model in models:
                with self.subTest(addon=addon_name, model=model):
                    self.assertEqual(Path(by_model.get(model, "")).name, f"{model.replace('.', '_')}.py")

    def test_weee_models_are_these(self):
        found = {model for models in models_by_file(ROOT / "reverse_logistics_weee").values() for model in models}
        self.assertEqual(found, set(KNOWN_FILES["reverse_logistics_weee"]))

    def test_no_retired_mechanism(self):
        for addon in ADDONS:
            if addon.name == "reverse_logistics":
                continue
            for path in addon.rglob("*"):
                if path.suffix not in (".py", ".xml", ".csv") or "tests" in path.relative_to(addon).parts:
                    continue
                text = path.read_text()
                for name in RETIRED_MECHANISMS:
                    self.assertNotIn(name, text, f"{addon.name}/{path.relative_to(addon)} uses {name}")
