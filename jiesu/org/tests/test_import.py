# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""GeoJSON import and export of regions."""

import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiesu.org import geo
from jiesu.org.models import Region
from jiesu.org.regions_io import ImportProblems, export_regions, import_regions

from .conftest import square


def feature(code, name, level, parent_code=None, geometry=None, **extra):
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent_code,
            **extra,
        },
        "geometry": geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def good_file():
    # Deliberately children before parents: the import sorts by level.
    return collection(
        feature("440310001001", "Community A", "community", "440310001", square(0, 0, 5, 5)),
        feature("440310", "Pingshan", "district", None, square(0, 0, 10, 10), note="demo"),
        feature("440310001", "Subdistrict W", "subdistrict", "440310", square(0, 0, 5, 10)),
        feature("440310002", "Subdistrict E", "subdistrict", "440310", square(5, 0, 10, 10)),
        feature("440310001001G1", "Grid 1", "grid", "440310001001", square(1, 1, 2, 2)),
    )


def snapshot():
    return sorted(
        Region.objects.values_list(
            "code", "name", "level", "parent__code", "path", "boundary_digest"
        )
    )


def write(tmp_path, data, name="regions.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
class TestImport:
    def test_good_file(self):
        report = import_regions(good_file())
        assert sorted(report.created) == sorted(
            ["440310", "440310001", "440310002", "440310001001", "440310001001G1"]
        )
        assert report.updated == [] and report.warnings == []
        grid = Region.objects.get(code="440310001001G1")
        assert [r.code for r in grid.ancestors()] == ["440310", "440310001", "440310001001"]
        assert grid.depth == 3 and grid.min_lng == 1
        assert Region.objects.get(code="440310").geometry_note == "demo"
        assert geo.resolve_point(1.5, 1.5) == grid

    def test_reimport_updates_by_code(self):
        import_regions(good_file())
        ids = dict(Region.objects.values_list("code", "pk"))
        data = good_file()
        # Rename the district, move the community to the east, give the grid a new shape.
        data["features"][1]["properties"]["name"] = "Pingshan District"
        data["features"][0]["properties"]["parent_code"] = "440310002"
        data["features"][0]["geometry"] = square(5, 0, 10, 5)
        data["features"][4]["geometry"] = square(6, 1, 7, 2)
        report = import_regions(data)
        assert report.created == []
        changed = ["440310", "440310001001", "440310001001G1"]
        assert sorted(report.updated) == changed
        assert len(report.unchanged) == 2 and not set(report.unchanged) & set(changed)
        assert dict(Region.objects.values_list("code", "pk")) == ids  # same rows
        assert Region.objects.get(code="440310").name == "Pingshan District"
        community = Region.objects.get(code="440310001001")
        assert community.parent.code == "440310002"
        grid = Region.objects.get(code="440310001001G1")
        assert grid.path.startswith(community.path)  # the subtree moved along
        assert geo.resolve_point(1.5, 6.5) == grid

    def test_reimport_keeps_active_flag_unless_given(self):
        import_regions(good_file())
        Region.objects.filter(code="440310002").update(active=False)
        import_regions(good_file())
        assert not Region.objects.get(code="440310002").active
        data = good_file()
        data["features"][3]["properties"]["active"] = True
        import_regions(data)
        assert Region.objects.get(code="440310002").active

    def test_parent_may_already_be_in_the_database(self):
        import_regions(collection(*good_file()["features"][1:4]))
        report = import_regions(
            collection(
                feature("440310002001", "Community E", "community", "440310002", square(6, 6, 7, 7))
            )
        )
        assert report.created == ["440310002001"]
        assert Region.objects.get(code="440310002001").parent.code == "440310002"

    def _refused(self, data, *expected):
        import_regions(
            collection(feature("OLD", "Existing", "district", None, square(50, 50, 51, 51)))
        )
        before = snapshot()
        with pytest.raises(ImportProblems) as error:
            import_regions(data)
        assert snapshot() == before, "a refused import must change nothing"
        text = "\n".join(error.value.problems)
        for fragment in expected:
            assert fragment in text, text
        return error.value.problems

    def test_invalid_polygon_changes_nothing(self):
        data = good_file()
        data["features"][2]["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
        }
        self._refused(data, "features[2] (code 440310001): The boundary is not a valid polygon")

    def test_bad_level_order_changes_nothing(self):
        data = good_file()
        data["features"][4]["properties"]["parent_code"] = "440310001"  # grid under subdistrict
        self._refused(
            data,
            "features[4] (code 440310001001G1): A Grid cell must be placed under a Community",
        )

    def test_missing_parent_for_non_district(self):
        data = good_file()
        data["features"][3]["properties"]["parent_code"] = None
        self._refused(data, "features[3] (code 440310002): Only a district may have no parent")

    def test_unknown_parent_changes_nothing(self):
        data = good_file()
        data["features"][0]["properties"]["parent_code"] = "999"
        self._refused(
            data, "features[0] (code 440310001001): parent_code 999 is neither in the file"
        )

    def test_duplicate_codes_change_nothing(self):
        data = good_file()
        data["features"].append(
            feature("440310002", "Again", "subdistrict", "440310", square(5, 0, 10, 10))
        )
        self._refused(
            data, "features[5] (code 440310002): duplicate code, already used by features[3]"
        )

    def test_every_problem_is_reported_at_once(self):
        data = good_file()
        data["features"][0]["properties"]["level"] = "street"
        data["features"][2]["properties"]["name"] = ""
        data["features"][3]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
        data["features"].append(
            {"type": "Feature", "properties": {"name": "no code"}, "geometry": None}
        )
        problems = self._refused(
            data,
            "features[0] (code 440310001001): 'level' is 'street'",
            "features[2] (code 440310001): 'name' is missing",
            "features[3] (code 440310002): The boundary must be a Polygon or a MultiPolygon",
            "features[5]: 'code' is missing",
        )
        assert len(problems) == 4

    def test_not_a_feature_collection(self):
        self._refused({"type": "Feature"}, "FeatureCollection")
        self._refused({"type": "FeatureCollection"}, "no 'features' list")

    def test_level_change_that_strands_database_children(self):
        import_regions(good_file())
        before = snapshot()
        data = collection(
            feature("440310001", "Subdistrict W", "community", "440310002", square(0, 0, 5, 10))
        )
        with pytest.raises(ImportProblems) as error:
            import_regions(data)
        assert "does not fit its child 440310001001" in str(error.value)
        assert snapshot() == before

    def test_child_outside_parent_warns_but_imports(self):
        data = good_file()
        data["features"][4]["geometry"] = square(4, 1, 6, 2)  # half outside its community
        report = import_regions(data)
        assert len(report.warnings) == 1
        assert report.warnings[0].startswith(
            "features[4] (code 440310001001G1): lies 50.0% outside"
        )
        assert Region.objects.filter(code="440310001001G1").exists()

    def test_small_overhang_within_tolerance_is_silent(self):
        data = good_file()
        data["features"][4]["geometry"] = square(1, 1, 5.001, 2)  # 0.025% outside
        assert import_regions(data).warnings == []

    def test_null_geometry_and_centre(self):
        data = collection(
            feature("D", "District", "district", None, None, center_lng=114.3, center_lat=22.7)
        )
        import_regions(data)
        d = Region.objects.get(code="D")
        assert d.boundary is None and (d.center_lng, d.center_lat) == (114.3, 22.7)

    def test_numeric_codes_are_read_as_text(self):
        import_regions(
            collection(feature(440310, "District", "district", None, square(0, 0, 1, 1)))
        )
        assert Region.objects.filter(code="440310").exists()

    def test_dry_run_changes_nothing(self):
        report = import_regions(good_file(), dry_run=True)
        assert len(report.created) == 5
        assert not Region.objects.exists()

    def test_export_round_trip(self):
        import_regions(good_file())
        exported = export_regions()
        codes = [f["properties"]["code"] for f in exported["features"]]
        assert codes.index("440310") < codes.index("440310001") < codes.index("440310001001")
        before = snapshot()
        Region.objects.update(name="changed")
        report = import_regions(json.loads(json.dumps(exported)))
        assert report.created == [] and len(report.updated) == 5
        assert snapshot() == before


@pytest.mark.django_db
class TestCommands:
    def test_import_and_export_commands(self, tmp_path, capsys):
        path = write(tmp_path, good_file())
        call_command("import_regions", path)
        out = capsys.readouterr().out
        assert "created 5 region(s), updated 0, 0 unchanged" in out
        target = tmp_path / "out.geojson"
        call_command("export_regions", str(target))
        exported = json.loads(target.read_text(encoding="utf-8"))
        assert exported["type"] == "FeatureCollection"
        assert len(exported["features"]) == 5
        # The exported file imports again and changes nothing (it reported "updated 5").
        call_command("import_regions", str(target), "--dry-run")
        assert "would create 0 region(s), would update 0, 5 unchanged" in capsys.readouterr().out
        call_command("import_regions", str(target))
        assert "created 0 region(s), updated 0, 5 unchanged" in capsys.readouterr().out
        Region.objects.filter(code="440310").update(name="坪山")
        call_command("import_regions", str(target))
        assert "created 0 region(s), updated 1, 4 unchanged" in capsys.readouterr().out

    def test_import_command_refuses_bad_file(self, tmp_path):
        data = good_file()
        data["features"][0]["properties"]["parent_code"] = "nowhere"
        with pytest.raises(CommandError) as error:
            call_command("import_regions", write(tmp_path, data))
        assert "nothing was changed" in str(error.value)
        assert "features[0] (code 440310001001)" in str(error.value)
        assert not Region.objects.exists()

    def test_import_command_not_json(self, tmp_path):
        path = tmp_path / "broken.geojson"
        path.write_text("{", encoding="utf-8")
        with pytest.raises(CommandError, match="not valid JSON"):
            call_command("import_regions", str(path))

    def test_import_command_warns(self, tmp_path, capsys):
        data = good_file()
        data["features"][4]["geometry"] = square(4, 1, 6, 2)
        call_command("import_regions", write(tmp_path, data))
        assert "warning: features[4]" in capsys.readouterr().err

    def test_dry_run_command(self, tmp_path, capsys):
        call_command("import_regions", write(tmp_path, good_file()), "--dry-run")
        assert "would create 5" in capsys.readouterr().out
        assert not Region.objects.exists()


@contextmanager
def default_language():
    """As `manage.py` runs a command: no language activated, so LANGUAGE_CODE (zh-hans) speaks.
    (The project's autouse fixture activates English for code called from tests.)"""
    previous = translation.get_language()
    translation.deactivate()
    try:
        assert translation.get_language() == "zh-hans"
        yield
    finally:
        translation.activate(previous)


def bad_level_file(tmp_path):
    data = good_file()
    data["features"][0]["properties"]["level"] = "street"
    return write(tmp_path, data)


@pytest.mark.django_db
class TestLanguage:
    """The command reports in the user's language, zh-hans by default, as import_catalog does."""

    def test_summary_is_chinese_by_default(self, tmp_path, capsys):
        path = write(tmp_path, good_file())
        with default_language():
            call_command("import_regions", path, "--dry-run")
            assert (
                f"{path}：将新建 5 个区域，将更新 0 个，0 个无变化；0 条警告。"
                in capsys.readouterr().out
            )
            call_command("import_regions", path)
            assert (
                f"{path}：新建 5 个区域，更新 0 个，0 个无变化；0 条警告。"
                in capsys.readouterr().out
            )

    def test_problems_are_chinese_by_default(self, tmp_path):
        with default_language(), pytest.raises(CommandError) as error:
            call_command("import_regions", bad_level_file(tmp_path))
        text = str(error.value)
        assert "中有 1 处问题，未做任何修改：" in text
        assert (
            "features[0]（代码 440310001001）：'level' 为 'street'，应为以下之一："
            "district, subdistrict, community, grid" in text
        )
        assert not Region.objects.exists()

    def test_unknown_parent_is_chinese_by_default(self):
        data = good_file()
        data["features"][0]["properties"]["parent_code"] = "999"
        with default_language(), pytest.raises(ImportProblems) as error:
            import_regions(data)
        assert error.value.problems == [
            "features[0]（代码 440310001001）：parent_code 999 既不在文件中，也不在数据库中"
        ]

    def test_warning_is_chinese_by_default(self, tmp_path, capsys):
        data = good_file()
        data["features"][4]["geometry"] = square(4, 1, 6, 2)
        with default_language():
            call_command("import_regions", write(tmp_path, data))
        captured = capsys.readouterr()
        assert (
            "警告：features[4]（代码 440310001001G1）：有 50.0% 位于上级区域 440310001001 "
            "之外（容差 1.0%）" in captured.err
        )
        assert "1 条警告。" in captured.out

    def test_tolerance_error_is_chinese_by_default(self, tmp_path):
        with default_language(), pytest.raises(CommandError) as error:
            call_command("import_regions", write(tmp_path, good_file()), "--tolerance", "2")
        assert str(error.value) == "--tolerance 必须介于 0 和 1 之间"

    def test_english_when_english_is_active(self, tmp_path, capsys):
        path = write(tmp_path, good_file())
        with translation.override("en"):
            call_command("import_regions", path)
            assert (
                f"{path}: created 5 region(s), updated 0, 0 unchanged; 0 warning(s)."
                in capsys.readouterr().out
            )
            with pytest.raises(CommandError) as error:
                call_command("import_regions", bad_level_file(tmp_path))
        text = str(error.value)
        assert "1 problem(s); nothing was changed:" in text
        assert (
            "features[0] (code 440310001001): 'level' is 'street'; expected one of "
            "district, subdistrict, community, grid" in text
        )


def test_manage_py_reports_in_chinese(tmp_path):
    """The real command line: no language activated by the command, LANGUAGE_CODE applies."""
    result = subprocess.run(
        [sys.executable, "manage.py", "import_regions", "x.geojson", "--tolerance", "2"],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "CommandError: --tolerance 必须介于 0 和 1 之间" in result.stderr


@pytest.mark.django_db
class TestCoordinateSystems:
    """Outlines traced on Chinese maps come in GCJ-02 (AMap, Tencent) or BD-09 (Baidu): the
    import converts them to WGS84, so that a point given in WGS84 falls in the right region."""

    # About 1.1 km square around a WGS84 point in Pingshan; its GCJ-02 form sits ~500 m away.
    WGS = (22.70, 114.35)

    def outline(self, to_system):

        lat0, lng0 = self.WGS
        ring = [(lat0 - 0.005, lng0 - 0.005), (lat0 - 0.005, lng0 + 0.005)]
        ring += [(lat0 + 0.005, lng0 + 0.005), (lat0 + 0.005, lng0 - 0.005)]
        points = [to_system(lat, lng) for lat, lng in ring]
        positions = [[lng, lat] for lat, lng in points]
        return {"type": "Polygon", "coordinates": [[*positions, positions[0]]]}

    @pytest.mark.parametrize("system", ["gcj02", "GCJ-02", "bd09"])
    def test_outline_converted_to_wgs84(self, system):
        from jiesu.org import coords

        forward = coords.wgs84_to_gcj02 if "gcj" in system.lower() else coords.wgs84_to_bd09
        data = collection(feature("D", "District", "district", None, self.outline(forward)))
        import_regions(data, coord_system=system)
        region = Region.objects.get(code="D")
        lat0, lng0 = self.WGS
        assert region.min_lng == pytest.approx(lng0 - 0.005, abs=1e-7)
        assert region.max_lat == pytest.approx(lat0 + 0.005, abs=1e-7)
        assert geo.resolve_point(lat0, lng0) == region

    def test_without_the_option_the_offset_stays(self):
        from jiesu.org import coords

        data = collection(
            feature("D", "District", "district", None, self.outline(coords.wgs84_to_gcj02))
        )
        import_regions(data)  # read as WGS84: the outline sits some 500 m off
        region = Region.objects.get(code="D")
        assert abs(region.min_lng - (self.WGS[1] - 0.005)) > 0.003

    def test_centre_of_a_region_without_boundary_converted(self):
        from jiesu.org import coords

        lat, lng = coords.wgs84_to_gcj02(*self.WGS)
        data = collection(
            feature("D", "District", "district", None, None, center_lng=lng, center_lat=lat)
        )
        import_regions(data, coord_system="gcj02")
        d = Region.objects.get(code="D")
        assert (d.center_lat, d.center_lng) == pytest.approx(self.WGS, abs=1e-7)

    def test_unknown_system_refused_before_anything_is_read(self):
        with pytest.raises(ValueError, match="unknown coordinate system"):
            import_regions(good_file(), coord_system="mercator")
        assert not Region.objects.exists()

    def test_command_option(self, tmp_path, capsys):
        from jiesu.org import coords

        data = collection(
            feature("D", "District", "district", None, self.outline(coords.wgs84_to_gcj02))
        )
        path = write(tmp_path, data)
        call_command("import_regions", path, "--coord-system", "gcj02")
        assert "created 1 region(s)" in capsys.readouterr().out
        assert geo.resolve_point(*self.WGS) == Region.objects.get(code="D")

    def test_command_refuses_an_unknown_system_in_chinese(self, tmp_path):
        path = write(tmp_path, good_file())
        with translation.override("zh-hans"), pytest.raises(CommandError) as error:
            call_command("import_regions", path, "--coord-system", "mercator")
        assert "未知的坐标系" in str(error.value) and "gcj02" in str(error.value)
        assert not Region.objects.exists()
