"""Each addon builds as an OCA-style wheel (`odoo-addon-<name>`, whool backend) that installs complete.

A plain pytest module (no database): it builds every addon's wheel the way CI does, with
`pip wheel --no-deps --no-build-isolation` (whool installed beside pip, no network: Odoo itself is on no
package registry here), installs the wheels with `pip install --no-deps --target` into a temporary
directory, and checks that

- the wheel is named after the addon and the manifest's version (`odoo_addon_<name>-18.0.x.y.z`);
- every file of the addon lands at `<target>/odoo/addons/<name>/` (what git tracks, which is what whool
  packs), the manifest's data, demo and asset files, .pot/.po and static files included, and nothing but
  the build file `pyproject.toml` is left out;
- the METADATA requires exactly what the manifest depends on: `odoo==18.0.*` for Odoo's own addons,
  `odoo-addon-<name>==18.0.*` for the project's, and the manifest's external Python dependencies (and
  `odoo==18.0.*` always).
"""
import ast
import email.parser
import glob
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


def _manifest(addon):
    with open(os.path.join(ROOT, addon, "__manifest__.py"), encoding="utf-8") as f:
        return ast.literal_eval(f.read())


def _odoo_core_addons():
    """The addons shipped with Odoo 18.0 itself, read from the Odoo this run imports."""
    import odoo

    odoo_home = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
    names = set()
    for addons_dir in (os.path.join(odoo_home, "addons"), os.path.join(odoo_home, "odoo", "addons")):
        names.update(
            name for name in os.listdir(addons_dir)
            if os.path.isfile(os.path.join(addons_dir, name, "__manifest__.py")))
    return names


def _tracked_files(addon):
    """The addon's files as whool packs them: those git tracks (every file but caches outside git)."""
    addon_dir = os.path.join(ROOT, addon)
    try:
        out = subprocess.run(["git", "ls-files"], cwd=addon_dir, check=True, capture_output=True, text=True)
        files = {line for line in out.stdout.splitlines() if line}
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = {
            os.path.relpath(os.path.join(dirpath, name), addon_dir)
            for dirpath, dirnames, filenames in os.walk(addon_dir)
            if "__pycache__" not in dirpath.split(os.sep)
            for name in filenames
        }
    return files - {"pyproject.toml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Builds the six wheels in one pip call and installs them into one target directory."""
    wheel_dir = tmp_path_factory.mktemp("wheels")
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--no-cache-dir"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheel_dir),
         *(os.path.join(ROOT, addon) for addon in ADDONS)],
        check=True, cwd=ROOT)
    wheels = sorted(glob.glob(os.path.join(wheel_dir, "*.whl")))
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--no-compile", "-q", "--target", str(target), *wheels],
                   check=True)
    return {"wheels": {os.path.basename(w): w for w in wheels}, "target": str(target)}


def _wheel_of(built, addon):
    version = _manifest(addon)["version"]
    name = f"odoo_addon_{addon}-{version}-py3-none-any.whl"
    assert name in built["wheels"], f"{name} not built; pip built {sorted(built['wheels'])}"
    return built["wheels"][name]


def _metadata(wheel_path):
    with zipfile.ZipFile(wheel_path) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.HeaderParser().parsestr(whl.read(name).decode("utf-8"))


def test_one_wheel_per_addon_with_the_manifest_version(built):
    assert len(built["wheels"]) == len(ADDONS), sorted(built["wheels"])
    for addon in ADDONS:
        version = _manifest(addon)["version"]
        assert version.startswith("18.0.") and len(version.split(".")) == 5, (addon, version)
        metadata = _metadata(_wheel_of(built, addon))
        assert metadata["Name"] == f"odoo-addon-{addon}"
        assert metadata["Version"] == version
        assert metadata["License"] == _manifest(addon)["license"]
        assert metadata["Home-page"] == _manifest(addon)["website"]


@pytest.mark.parametrize("addon", ADDONS)
def test_installed_wheel_holds_the_whole_addon(built, addon):
    installed = os.path.join(built["target"], "odoo", "addons", addon)
    assert os.path.isfile(os.path.join(installed, "__manifest__.py")), f"{addon} did not land in odoo/addons"
    landed = {
        os.path.relpath(os.path.join(dirpath, name), installed)
        for dirpath, _dirnames, filenames in os.walk(installed)
        for name in filenames
    }
    expected = _tracked_files(addon)
    assert expected - landed == set(), f"files of {addon} missing from its wheel"
    assert landed - expected == set(), f"files in the wheel of {addon} that the addon does not have"
    # What Odoo loads, named one by one: the manifest's data and demo files, its asset globs, the
    # translations.
    manifest = _manifest(addon)
    for path in manifest.get("data", []) + manifest.get("demo", []):
        assert os.path.isfile(os.path.join(installed, path)), f"{addon}: {path} missing"
    for bundle, globs in manifest.get("assets", {}).items():
        for pattern in globs:
            found = glob.glob(os.path.join(built["target"], "odoo", "addons", pattern), recursive=True)
            assert any(os.path.isfile(f) for f in found), f"{addon}: no file for {pattern} ({bundle})"
    assert os.path.isfile(os.path.join(installed, "i18n", f"{addon}.pot")), f"{addon}: no .pot"
    for po in glob.glob(os.path.join(ROOT, addon, "i18n", "*.po")):
        assert os.path.isfile(os.path.join(installed, "i18n", os.path.basename(po)))


@pytest.mark.parametrize("addon", ADDONS)
def test_wheel_requires_what_the_manifest_depends_on(built, addon):
    manifest = _manifest(addon)
    core = _odoo_core_addons()
    # Every addon needs Odoo 18.0 itself, whether or not it names one of Odoo's addons.
    expected = {"odoo==18.0.*"}
    for dep in manifest["depends"]:
        if os.path.isfile(os.path.join(ROOT, dep, "__manifest__.py")):
            expected.add(f"odoo-addon-{dep}==18.0.*")
        else:
            assert dep in core, f"{addon} depends on {dep}, neither Odoo's nor the project's"
    expected.update(manifest.get("external_dependencies", {}).get("python", []))
    requires = set(_metadata(_wheel_of(built, addon)).get_all("Requires-Dist") or [])
    assert requires == expected, f"{addon}: wheel requires {sorted(requires)}, manifest says {sorted(expected)}"
