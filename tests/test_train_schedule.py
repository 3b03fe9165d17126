"""Progressive growing: resolution, fade-in α, minibatch and learning rate at given kimg."""
import pytest

from stylegan_lib.train.schedule import Schedule


def sched(**kw):
    base = dict(resolution=32, start_res=8, lod_training_kimg=10, lod_transition_kimg=10,
                minibatch={8: 64, 16: 32}, minibatch_default=16, lr={32: 0.003}, lr_default=0.001)
    base.update(kw)
    return Schedule(**base)


@pytest.mark.parametrize("kimg, lod, res, alpha, phase, batch, lr", [
    (0, 2.0, 8, 1.0, "stable", 64, 0.001),
    (9.9, 2.0, 8, 1.0, "stable", 64, 0.001),
    (15, 1.5, 16, 0.5, "fade", 32, 0.001),
    (17.5, 1.25, 16, 0.75, "fade", 32, 0.001),
    (20, 1.0, 16, 1.0, "stable", 32, 0.001),
    (35, 0.5, 32, 0.5, "fade", 16, 0.003),
    (40, 0.0, 32, 1.0, "stable", 16, 0.003),
    (1000, 0.0, 32, 1.0, "stable", 16, 0.003),
])
def test_schedule_points(kimg, lod, res, alpha, phase, batch, lr):
    p = sched().at(kimg)
    assert p.lod == pytest.approx(lod)
    assert (p.resolution, p.phase, p.batch) == (res, phase, batch)
    assert p.alpha == pytest.approx(alpha)
    assert p.lr == pytest.approx(lr)


def test_optimizer_reset_key_changes_at_fade_start_and_end():
    s = sched()
    keys = [s.at(k).lod_key for k in (5, 12, 18, 25)]
    assert keys == [(2, 2), (1, 2), (1, 2), (1, 1)]


def test_fixed_resolution_and_paper_defaults():
    s = Schedule(resolution=32, start_res=32)
    assert s.at(0).lod == 0 and s.at(0).resolution == 32 and s.growth_kimg() == 0
    paper = Schedule(resolution=1024)
    assert paper.at(0).resolution == 8 and paper.at(0).batch == 256
    assert paper.at(600 + 300).resolution == 16 and paper.at(900).alpha == pytest.approx(0.5)
    assert paper.growth_kimg() == 7 * 1200
    assert paper.at(1e5).lr == 0.003 and paper.at(1e5).batch == 32


def test_phases_timeline():
    ph = sched().phases(50)
    assert [(p["resolution"], p["phase"]) for p in ph] == [
        (8, "stable"), (16, "fade"), (16, "stable"), (32, "fade"), (32, "stable")]
    assert ph[-1]["end"] == 50 and ph[1]["start"] == 10


def test_schedule_round_trip_and_errors():
    s = sched()
    assert Schedule.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="power of two"):
        Schedule(resolution=30)
    with pytest.raises(ValueError, match="cannot exceed"):
        Schedule(resolution=16, start_res=32)
