import ast
from collections import defaultdict
from pathlib import Path

from odoo.tests import BaseCase, tagged

ADDON = Path(__file__).resolve().parent.parent


def _models_by_file():
    """{file: [model]} of the addon's Python files (tests aside): a model is its _name, or the _inherit
    it extends when it has no _name."""
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
class TestWeeeLayout(BaseCase):
    """Odoo's layout: each model the addon defines or extends in one file, named after it."""

    def test_one_file_per_model_named_after_it(self):
        files_by_model = defaultdict(list)
        for path, models in _models_by_file().items():
            for model in models:
                files_by_model[model].append(str(path))
            self.assertEqual(models, [path.stem.replace("_", ".")], f"{path}: not named after its model")
        split = {model: files for model, files in files_by_model.items() if len(files) > 1}
        self.assertFalse(split, "a model spread over (or overridden by) several files of the addon")
        self.assertEqual(set(files_by_model), {
            "weee.register", "weee.register.line", "product.template", "return.disposition",
            "return.grading", "return.order", "return.type", "stock.move"})
