"""The chapter-1 widget's sliders (stylegan_lib.viz.faces): every one moves the picture."""
from __future__ import annotations

import numpy as np
import pytest

from stylegan_lib.data.faces import FACTOR_RANGES, FACTORS, NEUTRAL_FACTORS, render
from stylegan_lib.viz.faces import EFFECTIVE_RANGES, HUE_CIRCLES, face_from_sliders, slider_specs


@pytest.mark.parametrize("spec", slider_specs(), ids=lambda s: s["name"])
def test_the_two_ends_of_every_slider_draw_different_faces(spec):
    low = face_from_sliders({spec["name"]: spec["min"]}, resolution=32)
    high = face_from_sliders({spec["name"]: spec["max"]}, resolution=32)
    assert not np.array_equal(low, high), f"{spec['name']}: both ends of the slider draw one face"


def test_each_slider_stops_where_the_renderer_stops_changing():
    """Beyond a slider's end the face is the one at that end (nothing is hidden past it; a hue
    past the end comes round to 0), and the starting value draws the neutral face."""
    for spec in slider_specs():
        name, (lo, hi) = spec["name"], FACTOR_RANGES[spec["name"]]
        assert lo <= spec["min"] < spec["max"] <= hi and spec["min"] <= spec["value"] <= spec["max"]
        ends = ((spec["min"], lo), (spec["max"], hi)) if name not in HUE_CIRCLES else ((lo, hi),)
        for end, beyond in ends:   # a hue circle: 1 draws 0 again
            np.testing.assert_array_equal(face_from_sliders({name: end}, resolution=32),
                                          face_from_sliders({name: beyond}, resolution=32),
                                          err_msg=f"{name}: the face still changes past {end}")
        np.testing.assert_array_equal(face_from_sliders({name: spec["value"]}, resolution=32),
                                      face_from_sliders({}, resolution=32))
    assert list(EFFECTIVE_RANGES) == list(FACTORS)


def test_a_small_step_inside_a_saturating_range_moves_the_face():
    """The three restricted sliders change the face between their ends, not only across them."""
    for name in ("glasses", "beard", "eyes_open"):
        lo, hi = EFFECTIVE_RANGES[name]
        f = {k: np.full(3, v) for k, v in NEUTRAL_FACTORS.items()}
        f[name] = np.array([lo, (lo + hi) / 2, hi])
        a, b, c = render(f, 32)
        assert not np.array_equal(a, b) and not np.array_equal(b, c), name


def test_the_widget_lays_out_full_labels_without_scrolled_columns():
    W = pytest.importorskip("ipywidgets")
    from stylegan_lib.viz.faces import face_widget

    box = face_widget(resolution=16, size=32)
    s = box.sliders["background_lightness"]
    assert s.style.description_width not in ("", None) and int(s.style.description_width[:-2]) >= 150
    for name, spec in ((sp["name"], sp) for sp in slider_specs()):
        assert (box.sliders[name].min, box.sliders[name].max) == pytest.approx((spec["min"], spec["max"]))
    row = box.children[0]
    assert row.layout.flex_flow == "row wrap"
    assert all(col.layout.overflow == "visible" for col in row.children[1:])
