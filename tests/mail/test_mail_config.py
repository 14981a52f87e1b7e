import pytest

from webapp.config import ConfigError, load_config


def test_mail_settings_are_read_from_the_environment():
    cfg = load_config({"SMTP_URL": " smtp://u:p@mail.example.com:587?starttls=1 ", "MAIL_FROM": "Team <t@example.com>",
                       "BASE_URL": "https://mastery.example.com/", "MAIL_MAX_ATTEMPTS": "5"})
    assert cfg["SMTP_URL"] == "smtp://u:p@mail.example.com:587?starttls=1"
    assert cfg["MAIL_FROM"] == "Team <t@example.com>"
    assert cfg["BASE_URL"] == "https://mastery.example.com"
    assert cfg["MAIL_MAX_ATTEMPTS"] == 5


@pytest.mark.parametrize("env,words", [
    ({"SMTP_URL": "mail.example.com:25"}, "SMTP_URL must start with smtp://"),
    ({"SMTP_URL": "smtp://"}, "names no host"),
    ({"BASE_URL": "mastery.example.com"}, "BASE_URL must start with http"),
])
def test_bad_mail_settings_stop_start_up_with_a_message(env, words):
    with pytest.raises(ConfigError, match=words):
        load_config(env)


def test_digest_hour_is_read_and_checked():
    from webapp.config import defaults

    assert defaults()["DIGEST_HOUR"] == 8 and "DIGEST_HOUR" not in load_config({})
    assert load_config({"DIGEST_HOUR": "0"})["DIGEST_HOUR"] == 0
    assert load_config({"DIGEST_HOUR": "23"})["DIGEST_HOUR"] == 23
    for bad in ("24", "-1", "eight"):
        with pytest.raises(ConfigError, match="DIGEST_HOUR must be an hour from 0 to 23"):
            load_config({"DIGEST_HOUR": bad})
