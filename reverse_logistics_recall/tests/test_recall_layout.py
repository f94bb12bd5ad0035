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
                if key in attrs and isinstance(attrs[key], ast.Constant):
                    models.append(attrs[key].value)
                    break
        if models:
            result[path.relative_to(ADDON)] = models
    return result


@tagged("post_install", "-at_install")
class TestRecallLayout(BaseCase):
    """Odoo's layout: one file per model, named after it; the core's home-made mechanisms unused."""

    def test_one_file_per_model_named_after_it(self):
        files_by_model = defaultdict(list)
        for path, models in _models_by_file().items():
            for model in models:
                files_by_model[model].append(str(path))
            # QWeb report models (report.<module>.<template>) live in the file of their report.
            own = [model for model in models if not model.startswith("report.")]
            if not own:
                continue
            main = [model for model in own if model.replace(".", "_") == path.stem]
            self.assertEqual(len(main), 1, f"{path}: named after none of its models {own}")
            for model in own:
                self.assertTrue(model == main[0] or model.startswith(main[0] + "."),
                                f"{path}: {model} is not {main[0]} nor one of its lines")
        split = {model: files for model, files in files_by_model.items() if len(files) > 1}
        self.assertFalse(split, "a model spread over (or overridden by) several files of the addon")

    def test_no_core_queue(self):
        for path in ADDON.rglob("*"):
            if path.suffix not in (".py", ".xml", ".csv") or "tests" in path.relative_to(ADDON).parts:
                continue
            text = path.read_text()
            for name in ("reverse.logistics.batch", "_run_cron_chunk", "_get_size_limit", "_on_batch_done"):
                self.assertNotIn(name, text, f"{path.relative_to(ADDON)} uses the core's {name}")
