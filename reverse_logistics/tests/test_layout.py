import ast
from collections import defaultdict
from pathlib import Path

from odoo.tests import BaseCase, tagged

ADDON = Path(__file__).resolve().parent.parent


def _models_by_file():
    """{file: [model]} of the addon's Python files (tests aside): a model is its _name, or the (first)
    _inherit it extends when it has no _name."""
    result = {}
    for path in sorted(ADDON.rglob("*.py")):
        if "tests" in path.relative_to(ADDON).parts:
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
            result[path.relative_to(ADDON)] = models
    return result


@tagged("post_install", "-at_install")
class TestCoreLayout(BaseCase):
    """Odoo's layout: each model of the core in one file, named after it, so a method's whole chain
    inside the addon is one method (no sibling file overriding it, no import order deciding)."""

    def test_one_file_per_model_named_after_it(self):
        files_by_model = defaultdict(list)
        for path, models in _models_by_file().items():
            for model in models:
                files_by_model[model].append(str(path))
            main = [model for model in models if model.replace(".", "_") == path.stem]
            self.assertEqual(len(main), 1, f"{path}: named after none of its models {models}")
            for model in models:
                # A wizard's lines live with their wizard (return.order.create.line).
                self.assertTrue(model == main[0] or model.startswith(main[0] + "."),
                                f"{path}: {model} is not {main[0]} nor one of its lines")
        split = {model: files for model, files in files_by_model.items() if len(files) > 1}
        self.assertFalse(split, "a model spread over (or overridden by) several files of the addon")

    def test_known_models_in_their_file(self):
        """The models that were spread over many files are each in the one file named after them."""
        by_model = {model: str(path) for path, models in _models_by_file().items() for model in models}
        for model in ("return.order", "return.order.line", "return.grading", "return.policy",
                      "return.disposition", "product.template", "stock.picking"):
            self.assertEqual(by_model.get(model), f"models/{model.replace('.', '_')}.py")
