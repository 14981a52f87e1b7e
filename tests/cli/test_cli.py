"""The command line (SPEC §10): seed, users, mentors, missions import/export, tokens."""
from __future__ import annotations

import copy
from datetime import datetime

import pytest
import yaml
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests.factories import make_mission, make_user, mission_data
from webapp.domain.catalogue import TRACKS
from webapp.domain.mission_rules import check_mission
from webapp.extensions import db
from webapp.models import ApiToken, MentorAssignment, Mission, Recipe, User
from webapp.services.catalogue import SEED_DIR, nice_vocabulary, read_missions

DEMO_EMAILS = ("learner@example.com", "mentor@example.com", "admin@example.com")


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def all_contents() -> dict[str, dict]:
    db.session.expire_all()
    return {m.slug: m.content() for m in db.session.scalars(select(Mission))}


def invoke(runner, *args, input=None):
    result = runner.invoke(args=list(args), input=input)
    db.session.expire_all()
    return result


def assert_clean_failure(result, *fragments):
    """Exit 1 with a message and no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output, result.output


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


# --- seed -------------------------------------------------------------------------------------------------


def test_seed_loads_the_shipped_catalogue_with_mastery_missions_in_every_track(runner):
    result = invoke(runner, "seed")
    assert result.exit_code == 0, result.output
    counts = dict(db.session.execute(select(Mission.track, func.count()).where(Mission.tier == "mastery")
                                     .group_by(Mission.track)).all())
    for track in TRACKS:
        assert counts.get(track, 0) >= 7, f"{track} has {counts.get(track, 0)} mastery missions"
        assert counts.get(track, 0) <= 15, f"{track} has {counts.get(track, 0)} mastery missions"
    total = db.session.scalar(select(func.count()).select_from(Mission))
    assert f"Missions: {total} created, 0 updated, 0 unchanged." in result.output
    assert db.session.scalar(select(func.count()).select_from(Recipe)) >= 20


def test_seed_every_loaded_mission_passes_validation(runner):
    assert invoke(runner, "seed").exit_code == 0
    roles = nice_vocabulary()
    missions = db.session.scalars(select(Mission)).all()
    assert missions
    for mission in missions:
        assert check_mission(mission.content(), roles) == mission.content(), mission.slug
    # The files themselves validate too, as one catalogue (no duplicate slugs).
    assert len(read_missions(SEED_DIR / "missions")) == len(missions)


def test_seed_mastery_missions_meet_the_catalogue_shape(runner):
    assert invoke(runner, "seed").exit_code == 0
    for mission in db.session.scalars(select(Mission).where(Mission.tier == "mastery")):
        assert 3 <= len(mission.subtasks) <= 6, mission.slug
        assert mission.decision_count >= 1, mission.slug
        assert 3 <= len(mission.rubric) <= 6, mission.slug
        assert mission.escalation_events, mission.slug
        assert mission.environmental_cues, mission.slug


def test_seed_twice_reports_0_created_and_changes_no_row_count(runner):
    assert invoke(runner, "seed").exit_code == 0
    before = row_counts()
    contents = all_contents()
    result = invoke(runner, "seed")
    assert result.exit_code == 0, result.output
    assert "Missions: 0 created, 0 updated," in result.output
    assert "Recipes: 0 created, 0 updated," in result.output
    assert row_counts() == before
    assert all_contents() == contents


def test_seed_restores_a_mission_edited_in_the_database(runner):
    assert invoke(runner, "seed").exit_code == 0
    mission = db.session.scalars(select(Mission).order_by(Mission.slug)).first()
    original = mission.title
    mission.title = "Edited by hand"
    db.session.commit()
    result = invoke(runner, "seed")
    assert "0 created, 1 updated" in result.output
    assert db.session.get(Mission, mission.id).title == original


def test_seed_demo_creates_demo_accounts_assignment_and_prints_password(runner):
    result = invoke(runner, "seed", "--demo")
    assert result.exit_code == 0, result.output
    assert "mastery-demo" in result.output
    for email, handle, role in zip(DEMO_EMAILS, ("learner", "mentor", "admin"), ("learner", "mentor", "admin")):
        user = user_by_email(email)
        assert user is not None, email
        assert (user.handle, user.role, user.is_active) == (handle, role, True)
        assert check_password_hash(user.password_hash, "mastery-demo")
        assert email in result.output
    learner, mentor = user_by_email(DEMO_EMAILS[0]), user_by_email(DEMO_EMAILS[1])
    assert db.session.scalar(select(MentorAssignment).where(MentorAssignment.mentor_id == mentor.id,
                                                            MentorAssignment.learner_id == learner.id))
    from webapp.models import Cohort, CohortMember

    cohort = db.session.scalar(select(Cohort))
    assert cohort.name == "Spring 2027 SOC cohort" and set(db.session.scalars(select(CohortMember.user_id))) == {
        learner.id, mentor.id}
    counts = row_counts()
    assert counts["capstone_projects"] >= 3
    assert counts["mentorship_interactions"] >= 1
    assert counts["portfolio_items"] >= 1


def test_seed_demo_capstone_results_are_approved_capstones_shown_as_snapshots(runner, client):
    from webapp.models import CapstoneProject, PortfolioItem

    assert invoke(runner, "seed", "--demo").exit_code == 0
    items = db.session.scalars(select(PortfolioItem).where(PortfolioItem.item_type == "capstone_result")).all()
    assert items
    for item in items:
        cap = db.session.get(CapstoneProject, item.capstone_id)
        assert cap is not None and cap.mentor_approved
        assert item.status == "approved" and item.case_study["capstone_id"] == cap.id
        assert item.case_study["capstone"]["report_summary"] == cap.report_summary
        # The snapshot is dated by the item's approval, not by the day the demo was seeded.
        assert datetime.fromisoformat(item.case_study["taken_at"]).date() == item.reviewed_at.date()
    page = client.get("/p/learner").get_data(as_text=True)
    assert items[0].title in page and "Mentor verdict" in page
    assert f"as it was when this item was approved ({items[0].reviewed_at:%d %b %Y})" in page


def test_seed_demo_accounts_can_log_in(runner, client):
    assert invoke(runner, "seed", "--demo").exit_code == 0
    resp = client.post("/auth/login", data={"email": "mentor@example.com", "password": "mastery-demo"})
    assert resp.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Morgan Mentor" in page
    assert "Lee Learner" in page  # the demo learner is listed under "Your learners"


def test_seed_demo_twice_is_idempotent(runner):
    assert invoke(runner, "seed", "--demo").exit_code == 0
    before = row_counts()
    result = invoke(runner, "seed", "--demo")
    assert result.exit_code == 0, result.output
    assert "Missions: 0 created" in result.output
    assert "Demo work: 0 capstones, 0 attempts, 0 reviews, 0 portfolio items created." in result.output
    assert row_counts() == before


def test_seed_demo_with_demo_handle_taken_fails_cleanly(runner):
    make_user("learner", email="someone@example.com", handle="mentor")
    result = invoke(runner, "seed", "--demo")
    assert_clean_failure(result, "mentor")


def test_seed_scale_adds_that_many_learners(runner):
    assert invoke(runner, "seed").exit_code == 0
    learners = lambda: db.session.scalar(select(func.count()).select_from(User).where(User.role == "learner"))  # noqa: E731
    before = learners()
    result = invoke(runner, "seed", "--scale", "3")
    assert result.exit_code == 0, result.output
    assert "Scale data: 3 learners, 3 capstones" in result.output
    assert learners() == before + 3
    result = invoke(runner, "seed", "--scale", "3")
    assert result.exit_code == 0, result.output
    assert learners() == before + 6


def test_seed_scale_zero_is_refused_with_usage_error(runner):
    result = invoke(runner, "seed", "--scale", "0")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert row_counts()["users"] == 0


# --- users create -----------------------------------------------------------------------------------------


def test_users_create_with_password_from_stdin_creates_user(runner):
    result = invoke(runner, "users", "create", "--email", "Mo.Mentor@Example.com", "--name", "Mo Mentor",
                    "--handle", "mo-mentor", "--role", "mentor", input="a-long-cli-password\n")
    assert result.exit_code == 0, result.output
    assert "Created mentor mo.mentor@example.com (@mo-mentor)." in result.output
    user = user_by_email("mo.mentor@example.com")
    assert (user.display_name, user.handle, user.role) == ("Mo Mentor", "mo-mentor", "mentor")
    assert check_password_hash(user.password_hash, "a-long-cli-password")
    assert "a-long-cli-password" not in result.output


def test_users_create_default_role_is_learner(runner):
    result = invoke(runner, "users", "create", "--email", "l@example.com", "--name", "L", "--handle", "lee",
                    input="a-long-cli-password\n")
    assert result.exit_code == 0, result.output
    assert user_by_email("l@example.com").role == "learner"


def test_users_create_duplicate_email_exits_1_with_message_and_no_traceback(runner):
    make_user(email="taken@example.com")
    before = row_counts()
    result = invoke(runner, "users", "create", "--email", "TAKEN@example.com", "--name", "Dup", "--handle", "dup",
                    input="a-long-cli-password\n")
    assert_clean_failure(result, "already", "email")
    assert row_counts() == before


def test_users_create_short_password_exits_1_and_creates_nothing(runner):
    result = invoke(runner, "users", "create", "--email", "x@example.com", "--name", "X", "--handle", "xavier",
                    input="short\n")
    assert_clean_failure(result, "10 characters")
    assert user_by_email("x@example.com") is None


def test_users_create_unknown_role_is_usage_error(runner):
    result = invoke(runner, "users", "create", "--email", "x@example.com", "--name", "X", "--handle", "xavier",
                    "--role", "overlord", input="a-long-cli-password\n")
    assert result.exit_code == 2
    assert user_by_email("x@example.com") is None


# --- mentors assign ---------------------------------------------------------------------------------------


def test_mentors_assign_links_mentor_to_learner(runner):
    mentor = make_user("mentor", email="m@example.com")
    learner = make_user("learner", email="l@example.com")
    result = invoke(runner, "mentors", "assign", "--mentor", "M@example.com", "--learner", "l@example.com")
    assert result.exit_code == 0, result.output
    assert "m@example.com now mentors l@example.com." in result.output
    link = db.session.scalar(select(MentorAssignment))
    assert (link.mentor_id, link.learner_id, link.track) == (mentor.id, learner.id, None)


def test_mentors_assign_per_track_and_twice_keeps_one_row(runner):
    make_user("mentor", email="m@example.com")
    make_user("learner", email="l@example.com")
    for _ in range(2):
        result = invoke(runner, "mentors", "assign", "--mentor", "m@example.com", "--learner", "l@example.com",
                        "--track", "grc")
        assert result.exit_code == 0, result.output
    rows = db.session.scalars(select(MentorAssignment)).all()
    assert [r.track for r in rows] == ["grc"]


def test_mentors_assign_non_mentor_exits_1_and_creates_nothing(runner):
    make_user("learner", email="a@example.com")
    make_user("learner", email="b@example.com")
    result = invoke(runner, "mentors", "assign", "--mentor", "a@example.com", "--learner", "b@example.com")
    assert_clean_failure(result, "a@example.com is not a mentor")
    assert row_counts()["mentor_assignments"] == 0


def test_mentors_assign_unknown_email_exits_1_naming_it(runner):
    make_user("mentor", email="m@example.com")
    result = invoke(runner, "mentors", "assign", "--mentor", "m@example.com", "--learner", "ghost@example.com")
    assert_clean_failure(result, "ghost@example.com")
    assert row_counts()["mentor_assignments"] == 0


# --- missions export / import -----------------------------------------------------------------------------


def test_missions_export_then_import_gives_the_same_missions_and_0_created(runner, tmp_path):
    assert invoke(runner, "seed").exit_code == 0
    make_mission(slug="draft-mission", is_published=False)
    before = all_contents()
    result = invoke(runner, "missions", "export", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"Exported {len(before)} missions" in result.output
    files = sorted(tmp_path.rglob("*.yaml"))
    assert len(files) == len(before)
    assert (tmp_path / "defender" / "draft-mission.yaml").exists()
    result = invoke(runner, "missions", "import", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"0 created, 0 updated, {len(before)} unchanged" in result.output
    assert all_contents() == before


def test_missions_import_into_empty_database_recreates_exported_missions(runner, tmp_path):
    make_mission(slug="alpha-mission", title="Alpha")
    make_mission(slug="beta-mission", title="Beta", track="grc", tier="beginner", is_published=False)
    before = all_contents()
    assert invoke(runner, "missions", "export", str(tmp_path)).exit_code == 0
    for mission in db.session.scalars(select(Mission)):
        db.session.delete(mission)
    db.session.commit()
    result = invoke(runner, "missions", "import", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged" in result.output
    assert all_contents() == before


def test_missions_import_changed_file_updates_mission_and_bumps_version(runner, tmp_path):
    mission = make_mission(slug="alpha-mission", title="Alpha")
    assert invoke(runner, "missions", "export", str(tmp_path)).exit_code == 0
    path = tmp_path / "defender" / "alpha-mission.yaml"
    data = yaml.safe_load(path.read_text())
    data["title"] = "Alpha, revised"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = invoke(runner, "missions", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 0 unchanged" in result.output
    row = db.session.get(Mission, mission.id)
    assert (row.title, row.version) == ("Alpha, revised", 2)


def broken_mission() -> dict:
    data = mission_data(slug="broken-mission")
    data["escalation_events"] = copy.deepcopy(data["escalation_events"])
    data["escalation_events"][0]["triggers"] = [{"on": "subtask_started", "subtask_id": 99}]
    return data


def test_missions_import_broken_file_exits_1_naming_file_slug_and_field_and_writes_nothing(runner, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a-good.yaml").write_text(yaml.safe_dump(mission_data(slug="good-mission")))
    bad = folder / "b-broken.yaml"
    bad.write_text(yaml.safe_dump(broken_mission()))
    before = row_counts()
    result = invoke(runner, "missions", "import", str(folder))
    assert_clean_failure(result, str(bad), "broken-mission", "escalation_events[0].triggers[0].subtask_id",
                         "99 is not a subtask of this mission")
    assert "good-mission" not in result.output
    assert row_counts() == before
    assert db.session.scalar(select(Mission).where(Mission.slug == "good-mission")) is None


def test_missions_import_broken_update_leaves_existing_mission_unchanged(runner, tmp_path):
    make_mission(slug="broken-mission", title="Still the original")
    before = all_contents()
    bad = tmp_path / "broken.yaml"
    data = broken_mission()
    data["title"] = "Should not be saved"
    bad.write_text(yaml.safe_dump(data))
    assert_clean_failure(invoke(runner, "missions", "import", str(bad)), "broken-mission")
    assert all_contents() == before


def test_missions_import_reports_every_problem_of_every_file(runner, tmp_path):
    one = mission_data(slug="first-broken", track="purple")
    two = mission_data(slug="second-broken")
    two["environmental_cues"] = [{**two["environmental_cues"][0], "subtask_id": 42}]
    (tmp_path / "one.yaml").write_text(yaml.safe_dump(one))
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(two))
    result = invoke(runner, "missions", "import", str(tmp_path))
    assert_clean_failure(result, "mission 'first-broken': track", "mission 'second-broken': "
                                                                 "environmental_cues[0].subtask_id")


def test_missions_import_invalid_yaml_exits_1_naming_file(runner, tmp_path):
    bad = tmp_path / "mangled.yaml"
    bad.write_text("slug: [unclosed\n  title: : :\n")
    result = invoke(runner, "missions", "import", str(bad))
    assert_clean_failure(result, str(bad), "not valid YAML")
    assert row_counts()["missions"] == 0


def test_missions_import_missing_path_exits_1(runner, tmp_path):
    result = invoke(runner, "missions", "import", str(tmp_path / "nowhere"))
    assert_clean_failure(result, "no such file or folder")


def test_missions_import_duplicate_slugs_across_files_exits_1(runner, tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(mission_data(slug="same-slug")))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(mission_data(slug="same-slug")))
    result = invoke(runner, "missions", "import", str(tmp_path))
    assert_clean_failure(result, "same-slug", "duplicate")
    assert row_counts()["missions"] == 0


# --- tokens create ----------------------------------------------------------------------------------------


def test_tokens_create_prints_token_that_works_against_api_me(runner, client):
    user = make_user("mentor", email="api@example.com")
    result = invoke(runner, "tokens", "create", "--email", "API@example.com")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("mt_")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.name == "CLI token"
    assert stored.token_hash != secret
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["email"] == "api@example.com"
    assert body["role"] == "mentor"


def test_tokens_create_twice_prints_different_tokens(runner):
    make_user(email="api@example.com")
    first = invoke(runner, "tokens", "create", "--email", "api@example.com").output.strip()
    second = invoke(runner, "tokens", "create", "--email", "api@example.com", "--name", "ci").output.strip()
    assert first != second
    assert row_counts()["api_tokens"] == 2


def test_tokens_create_unknown_email_exits_1_and_creates_nothing(runner):
    result = invoke(runner, "tokens", "create", "--email", "ghost@example.com")
    assert_clean_failure(result, "No user with email ghost@example.com.")
    assert row_counts()["api_tokens"] == 0


@pytest.mark.parametrize("header", ["Bearer mt_not-a-real-token", "Basic abc", ""])
def test_api_me_without_valid_token_is_401_json(client, header):
    resp = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_missions_import_with_a_malformed_check_exits_1_naming_the_check_and_writes_nothing(runner, tmp_path):
    data = mission_data(slug="checked-mission")
    data["subtasks"][0]["checks"] = [{"id": "s1-verdict", "kind": "choice", "prompt": "Verdict?", "points": 1,
                                      "explanation": "Because.", "options": [{"id": "a", "label": "A"},
                                                                             {"id": "b", "label": "B"}],
                                      "correct": ["c"]}]
    bad = tmp_path / "checked-mission.yaml"
    bad.write_text(yaml.safe_dump(data))
    before = row_counts()
    result = invoke(runner, "missions", "import", str(bad))
    assert_clean_failure(result, str(bad), "checked-mission", "subtasks[0].checks[0].correct[0]",
                         "'c' is not an option of this check")
    assert row_counts() == before
