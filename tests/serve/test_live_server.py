"""The real server: uvicorn on free loopback ports, spoken to over HTTP (and by tritonclient).

Every request has a timeout and every server is stopped, so nothing here can hang the suite.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

TIMEOUT = 30  # seconds, for any single request or wait


def _request(url, method, path, body=None, headers=None):
    """``(status, headers, body bytes)`` of one HTTP request to ``url`` (http://host:port)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


def _json(url, method, path, body=None, headers=None):
    status, _, content = _request(url, method, path, body, headers)
    return status, json.loads(content)


def _concurrently(count, call):
    """Run ``call(i)`` in ``count`` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait(TIMEOUT)
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def live(make_server):
    """``live(**settings)``: a server over the test store, listening on free loopback ports."""
    with_servers = []

    def start(models=("all",), **settings):
        server = make_server(models, **settings)
        context = server.run_in_thread(timeout=TIMEOUT)
        context.__enter__()
        with_servers.append(context)
        return server

    yield start
    for context in with_servers:
        context.__exit__(None, None, None)


def test_routes_over_http(live, png):
    server = live()
    url = server.url()
    assert url.startswith("http://127.0.0.1:")
    assert _json(url, "GET", "/ping") == (200, {"status": "Healthy"})
    status, result = _json(url, "POST", "/predictions/linear", b"[1, 2, 3, 4]")
    assert status == 200 and len(result) == 3
    boundary = "emberserve-test"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="x.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + png()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, top = _json(url, "POST", "/predictions/images", form, headers)
    assert status == 200 and len(top) == 3
    assert _json(url, "PUT", "/predictions/images", png()) == (200, top)  # curl -T
    request = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}]}
    status, body = _json(url, "POST", "/v2/models/linear/infer", json.dumps(request))
    assert status == 200 and body["outputs"][0]["data"] == result
    assert _json(url, "GET", "/v2/health/ready") == (200, {"ready": True})
    assert _json(url, "POST", "/predictions/nope", b"[1]")[0] == 404
    status, models = _json(server.url("management"), "GET", "/models")
    assert status == 200 and len(models["models"]) == 8
    assert _request(url, "GET", "/models")[0] == 404  # management is on its own port
    status, headers, metrics = _request(server.url("metrics"), "GET", "/metrics")
    assert status == 200 and b"emberserve_requests_total" in metrics


def test_ports_default_to_loopback(live):
    server = live(["linear.emar"])
    assert {server.addresses[api][0] for api in ("inference", "management", "metrics")} == {
        "127.0.0.1"
    }


def test_concurrent_requests_are_batched(live):
    server = live(["batches.emar"])  # batch_size 8, max_batch_delay 300 ms
    url = server.url()

    def predict(i):
        status, body = _json(url, "POST", "/predictions/batches", json.dumps([[float(i), 0.0]]))
        assert status == 200
        return body[0][0]  # the batch size the model saw with this request

    assert _concurrently(8, predict) == [8.0] * 8
    _, _, metrics = _request(server.url("metrics"), "GET", "/metrics")
    text = metrics.decode()
    assert 'emberserve_batch_size_count{model="batches",version="1.0"} 1.0' in text
    assert 'emberserve_batch_size_sum{model="batches",version="1.0"} 8.0' in text


def test_v2_requests_from_one_batch_keep_their_own_rows(live):
    server = live(["linear.emar"])  # batch_size 4
    url = server.url()
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((i + 1, 4)).astype(np.float32) for i in range(4)]

    def infer(i):
        tensor = {
            "name": "x",
            "datatype": "FP32",
            "shape": list(inputs[i].shape),
            "data": inputs[i].ravel().tolist(),
        }
        status, body = _json(
            url, "POST", "/v2/models/linear/infer", json.dumps({"id": str(i), "inputs": [tensor]})
        )
        assert status == 200 and body["id"] == str(i)
        return np.reshape(body["outputs"][0]["data"], body["outputs"][0]["shape"])

    from emberserve.testing import linear

    model = linear()
    weight, bias = model.weight.detach().numpy(), model.bias.detach().numpy()
    for x, y in zip(inputs, _concurrently(4, infer)):
        np.testing.assert_allclose(y, x @ weight.T + bias, rtol=1e-5, atol=1e-6)


def test_errors_stay_with_their_request_inside_a_batch(live):
    server = live(["fragile.emar"])  # batch_size 4, max_batch_delay 200 ms
    url = server.url()
    rows = [[1.0, 2.0], [-1.0, 0.0], [3.0, 4.0], [5.0, 6.0]]
    results = _concurrently(
        4, lambda i: _json(url, "POST", "/predictions/fragile", json.dumps([rows[i]]))
    )
    assert [status for status, _ in results] == [200, 500, 200, 200]
    assert results[0][1] == [[1.0, 2.0]] and results[3][1] == [[5.0, 6.0]]
    assert "negative input" in results[1][1]["message"]


def test_health_checks_answer_while_the_model_is_busy(live):
    server = live(["sleepy.emar"])  # sleeps 0.3 s per batch, one worker
    url = server.url()
    slow = threading.Thread(target=_json, args=(url, "POST", "/predictions/sleepy", b"[[1, 2]]"))
    slow.start()
    time.sleep(0.05)
    start = time.monotonic()
    assert _json(url, "GET", "/ping")[0] == 200
    assert _json(url, "GET", "/v2/health/live")[0] == 200
    assert time.monotonic() - start < 0.2  # not stuck behind the 0.3 s forward
    assert slow.is_alive()
    slow.join(TIMEOUT)


def test_overload_is_503_with_retry_after(live):
    server = live(["sleepy.emar"], queue_size=1, retry_after=3)
    url = server.url()
    results = _concurrently(4, lambda i: _request(url, "POST", "/predictions/sleepy", b"[[1, 2]]"))
    statuses = sorted(status for status, _, _ in results)
    assert 200 in statuses and 503 in statuses  # one running, one queued, the rest refused
    refused = next(r for r in results if r[0] == 503)
    assert refused[1]["retry-after"] == "3"
    assert "retry" in json.loads(refused[2])["message"]
    assert _request(url, "POST", "/predictions/sleepy", b"[[1, 2]]")[0] == 200


def test_body_over_the_limit_is_refused_before_it_is_read(live):
    server = live(["linear.emar"], max_request_size=1024)
    status, body = _json(server.url(), "POST", "/predictions/linear", b"[" + b"1," * 32768 + b"1]")
    assert status == 413 and "limit of 1024 bytes" in body["message"]
    assert _json(server.url(), "POST", "/predictions/linear", b"[1, 2, 3, 4]")[0] == 200


def test_request_timeout_is_504(live):
    server = live(["sleepy.emar"], response_timeout=0.1)
    status, body = _json(server.url(), "POST", "/predictions/sleepy", b"[[1, 2]]")
    assert status == 504 and "0.1 s" in body["message"]


# --------------------------------------------------------------------------------- tritonclient


@pytest.fixture
def triton(live):
    httpclient = pytest.importorskip("tritonclient.http")
    server = live(["linear.emar", "echo.emar", "images.emar"])
    host, port = server.addresses["inference"][:2]
    client = httpclient.InferenceServerClient(f"{host}:{port}", network_timeout=TIMEOUT)
    yield httpclient, client
    client.close()


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_tritonclient_all_datatypes(triton, binary):
    httpclient, client = triton
    from emberserve.schema import DATATYPES

    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("echo")
    assert client.get_server_metadata()["extensions"] == ["binary_tensor_data"]
    metadata = client.get_model_metadata("echo")
    assert [i["datatype"] for i in metadata["inputs"]] == list(DATATYPES)
    inputs, arrays = [], {}
    for datatype, dtype in DATATYPES.items():
        name = f"in_{datatype.lower()}"
        if datatype == "BYTES":
            array = np.array([[b"abc", b"\xff\x00" if binary else b"utf-8 \xc3\xa9"]], dtype=object)
        elif datatype == "BOOL":
            array = np.array([[True, False]])
        else:
            info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
            array = np.array([[info.min, info.max]], dtype)
        arrays[name] = array
        tensor = httpclient.InferInput(name, [1, 2], datatype)
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    outputs = [httpclient.InferRequestedOutput(name, binary_data=binary) for name in arrays]
    for requested in (outputs, None):  # None: all outputs, binary by default
        result = client.infer("echo", inputs, outputs=requested, request_id="r1")
        assert result.get_response()["id"] == "r1"
        for name, array in arrays.items():
            got = result.as_numpy(name)
            if name == "in_bytes" and got.dtype == object and isinstance(got.flat[0], str):
                got = np.vectorize(str.encode, otypes=[object])(got)  # JSON BYTES come back as str
            np.testing.assert_array_equal(got, array)
            assert got.dtype == array.dtype


def test_tritonclient_model_and_errors(triton, png):
    httpclient, client = triton
    from tritonclient.utils import InferenceServerException

    x = np.array([[1, 2, 3, 4], [4, 3, 2, 1]], np.float32)
    tensor = httpclient.InferInput("x", [2, 4], "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("linear", [tensor])
    from emberserve.testing import linear

    model = linear()
    expected = x @ model.weight.detach().numpy().T + model.bias.detach().numpy()
    np.testing.assert_allclose(result.as_numpy("output__0"), expected, rtol=1e-5)
    images = httpclient.InferInput("image", [2], "BYTES")
    images.set_data_from_numpy(np.array([png(seed=3), png(seed=4)], dtype=object))
    probabilities = client.infer("images", [images]).as_numpy("probabilities")
    assert probabilities.shape == (2, 5) and np.allclose(probabilities.sum(1), 1, rtol=1e-5)
    with pytest.raises(InferenceServerException, match="not registered"):
        client.infer("nope", [tensor])
    wrong = httpclient.InferInput("x", [2, 2], "FP32")
    wrong.set_data_from_numpy(np.zeros((2, 2), np.float32))
    with pytest.raises(
        InferenceServerException, match=r"expected shape \[-1, 4\], received \[2, 2\]"
    ):
        client.infer("linear", [wrong])
    assert client.is_server_live()


# ------------------------------------------------------------------------ the command line


def _start_cli(tmp_path, store, *args):
    """``python -m emberserve start`` on free ports; returns (process, inference URL)."""
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 (closed by the caller's cleanup)
    command = [
        sys.executable,
        "-m",
        "emberserve",
        "start",
        "--model-store",
        str(store),
        "--port",
        "0",
        "--management-port",
        "0",
        "--metrics-port",
        "0",
        "--pid-file",
        str(tmp_path / "server.pid"),
        "--no-access-log",
        *args,
    ]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        match = re.search(
            r"inference (http://127\.0\.0\.1:\d+)", (tmp_path / "server.log").read_text()
        )
        if match:
            return process, match.group(1), log
        time.sleep(0.05)
    process.kill()
    process.wait(TIMEOUT)
    pytest.fail("the server did not start:\n" + (tmp_path / "server.log").read_text())


def test_sigterm_finishes_in_flight_requests_then_exits(tmp_path, store):
    process, url, log = _start_cli(
        tmp_path, store, "--models", "slow=sleepy.emar", "--graceful-timeout", "10"
    )
    try:
        assert (tmp_path / "server.pid").read_text().strip() == str(process.pid)
        result = {}
        slow = threading.Thread(
            target=lambda: result.update(r=_json(url, "POST", "/predictions/slow", b"[[1, 2]]"))
        )
        slow.start()
        time.sleep(0.1)  # the request is in the model now
        process.send_signal(signal.SIGTERM)
        slow.join(TIMEOUT)
        assert result["r"] == (200, [[1.0, 2.0]])  # answered although the server was stopping
        assert process.wait(TIMEOUT) == 0
        assert not (tmp_path / "server.pid").exists()
        with pytest.raises(OSError):
            _request(url, "GET", "/ping")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        log.close()


def test_cli_start_and_stop(tmp_path, store):
    process, url, log = _start_cli(
        tmp_path, store, "--models", "linear.emar", "broken=missing.emar"
    )
    try:
        assert _json(url, "POST", "/predictions/linear", b"[1, 2, 3, 4]")[0] == 200
        assert "not serving missing.emar" in (tmp_path / "server.log").read_text()  # others serve
        stop = subprocess.run(
            [
                sys.executable,
                "-m",
                "emberserve",
                "stop",
                "--pid-file",
                str(tmp_path / "server.pid"),
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=os.environ.copy(),
        )
        assert stop.returncode == 0, stop.stderr
        assert "stopped" in stop.stdout
        assert process.wait(TIMEOUT) == 0
        again = subprocess.run(
            [
                sys.executable,
                "-m",
                "emberserve",
                "stop",
                "--pid-file",
                str(tmp_path / "server.pid"),
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=os.environ.copy(),
        )
        assert again.returncode == 1 and "no emberserve is running" in again.stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        log.close()
