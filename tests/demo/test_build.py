"""The shipped demo recordings are exactly what the documented generator produces."""

from signaldesk.demo.build import DEMO_DIR, build


def test_shipped_recordings_match_a_fresh_build(tmp_path):
    fresh = build(tmp_path / "demo")
    shipped = sorted(p for p in DEMO_DIR.rglob("*") if p.is_file())
    assert [p.relative_to(tmp_path / "demo") for p in fresh] == [p.relative_to(DEMO_DIR) for p in shipped]
    for new, old in zip(fresh, shipped, strict=True):
        assert new.read_bytes() == old.read_bytes(), f"{old.name} is stale: run python -m signaldesk.demo.build"
