"""Settings precedence: flags > TOML file > EMBERSERVE_* environment > defaults."""

import json

import pytest

from emberserve import ServeConfig, load_config


def test_defaults_are_safe():
    config = load_config(environ={})
    assert config == ServeConfig()
    assert (config.host, config.management_host, config.metrics_host) == ("127.0.0.1",) * 3
    assert (config.inference_port, config.management_port, config.metrics_port) == (
        8080,
        8081,
        8082,
    )
    assert config.max_request_size == 100 * 1024 * 1024
    assert (
        not config.allow_archive_code
        and config.allowed_urls == []
        and config.cors_allowed_origins == []
    )
    assert config.tokens() == {"inference": None, "management": None}


def test_precedence(tmp_path):
    toml = tmp_path / "serve.toml"
    toml.write_text('inference_port = 9001\nworkers = 3\nmodels = ["a.emar", "b=b.emar"]\n')
    environ = {
        "EMBERSERVE_INFERENCE_PORT": "9002",
        "EMBERSERVE_WORKERS": "4",
        "EMBERSERVE_QUEUE_SIZE": "7",
        "EMBERSERVE_CONFIG": str(toml),
    }
    config = load_config({"inference_port": 9000, "workers": None}, environ=environ)
    assert config.inference_port == 9000  # flag beats file and environment
    assert config.workers == 3  # file beats environment (an unset flag does not count)
    assert config.queue_size == 7  # environment beats default
    assert config.models == ["a.emar", "b=b.emar"]
    assert config.metrics_port == 8082  # default


def test_environment_values_are_parsed():
    environ = {
        "EMBERSERVE_ALLOW_ARCHIVE_CODE": "true",
        "EMBERSERVE_ACCESS_LOG": "0",
        "EMBERSERVE_CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "EMBERSERVE_RESPONSE_TIMEOUT": "2.5",
        "EMBERSERVE_MAX_REQUEST_SIZE": "1024",
    }
    config = load_config(environ=environ)
    assert config.allow_archive_code is True and config.access_log is False
    assert config.cors_allowed_origins == ["https://a.example", "https://b.example"]
    assert config.response_timeout == 2.5 and config.max_request_size == 1024


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"EMBERSERVE_WORKERS": "many"}, "EMBERSERVE_WORKERS"),
        ({"EMBERSERVE_ALLOW_ARCHIVE_CODE": "maybe"}, "expected bool"),
        ({"EMBERSERVE_MAX_REQUEST_SIZE": "0"}, "max_request_size must be positive"),
    ],
)
def test_bad_environment_values_say_where_they_came_from(environ, words):
    with pytest.raises(ValueError, match=words):
        load_config(environ=environ)


def test_bad_config_file(tmp_path):
    toml = tmp_path / "serve.toml"
    toml.write_text("inference_prot = 1\n")
    with pytest.raises(ValueError, match=r"unknown settings \['inference_prot'\]"):
        load_config(config_file=toml, environ={})
    toml.write_text('workers = "two"\n')
    with pytest.raises(ValueError, match=r"serve\.toml"):
        load_config(config_file=toml, environ={})
    toml.write_text("workers = [\n")
    with pytest.raises(ValueError, match=r"serve\.toml"):
        load_config(config_file=toml, environ={})


def test_tokens_come_from_file_or_environment_never_flags(tmp_path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"management": "m"}))
    config = load_config(
        {"token_file": str(tokens)},
        environ={"EMBERSERVE_INFERENCE_TOKEN": "i", "EMBERSERVE_MANAGEMENT_TOKEN": "env"},
    )
    assert config.tokens() == {"inference": "i", "management": "m"}  # the file wins
    with pytest.raises(ValueError, match="cannot be set by a flag"):
        load_config({"inference_token": "visible-in-ps"}, environ={})
    tokens.write_text(json.dumps({"admin": "x"}))
    with pytest.raises(ValueError, match="keys"):
        config.tokens()
