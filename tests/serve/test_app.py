"""Every route of the three apps, in process (Starlette's TestClient), with their errors."""

import base64
import gzip
import json

import numpy as np
import pytest
from starlette.testclient import TestClient

import emberserve
from emberserve.testing import linear

LINEAR_INPUT = [[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 0.0, 2.0]]


def _linear_reference(rows):
    """What emberserve.testing.linear() computes: x @ W.T + b, with its own weights."""
    model = linear()
    weight, bias = model.weight.detach().numpy(), model.bias.detach().numpy()
    return np.asarray(rows, np.float32) @ weight.T + bias


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def client(server):
    return TestClient(server.apps["inference"])


@pytest.fixture
def manage(server):
    return TestClient(server.apps["management"])


def _torchserve_error(response, status, type_=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "type", "message"} and body["code"] == status
    if type_:
        assert body["type"] == type_
    return body["message"]


def _v2_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


# ------------------------------------------------------------------------- TorchServe API


def test_ping(client):
    assert client.get("/ping").json() == {"status": "Healthy"}


def test_ping_unhealthy_while_draining(server, client):
    server.draining = True
    response = client.get("/ping")
    assert response.status_code == 500 and response.json() == {"status": "Unhealthy"}


@pytest.mark.parametrize("method", ["post", "put"])
def test_predictions_raw_body_batch_and_single_sample(client, method):
    send = getattr(client, method)
    batch = send("/predictions/linear", content=json.dumps(LINEAR_INPUT))
    assert batch.status_code == 200
    np.testing.assert_allclose(batch.json(), _linear_reference(LINEAR_INPUT), rtol=1e-5)
    single = send("/predictions/linear", content=json.dumps(LINEAR_INPUT[0]))
    np.testing.assert_allclose(single.json(), _linear_reference(LINEAR_INPUT)[0], rtol=1e-5)


def test_predictions_multipart_and_version(client):
    files = {"data": ("x.json", json.dumps(LINEAR_INPUT).encode(), "application/json")}
    response = client.post("/predictions/linear/1.0", files=files)
    assert response.status_code == 200
    np.testing.assert_allclose(response.json(), _linear_reference(LINEAR_INPUT), rtol=1e-5)


def test_predictions_named_inputs_and_several_outputs(client):
    body = {"a": [[1.5, 2.0]], "b": [[2, 3]]}
    response = client.post("/predictions/two_heads", content=json.dumps(body))
    assert response.json() == {"output__0": [[3.5, 5.0]], "output__1": [[3.0, 6.0]]}


def test_predictions_image_top_k(client, png):
    response = client.post("/predictions/images", content=png())
    assert response.status_code == 200
    top = response.json()
    assert len(top) == 3 and set(top) <= {"ant", "bee", "cat", "dog", "eel"}
    probabilities = list(top.values())
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1


def test_predictions_image_multipart_and_base64(client, png):
    raw = client.post("/predictions/images", content=png()).json()
    form = client.post("/predictions/images", files={"data": ("x.png", png(), "image/png")})
    assert form.json() == raw
    field = (None, base64.b64encode(png()).decode())  # a text field, not a file
    text = client.post("/predictions/images", files={"data": field})
    assert text.json() == raw


def test_unknown_model_and_version(client):
    message = _torchserve_error(
        client.post("/predictions/nope", content=b"[1]"), 404, "ModelNotFoundException"
    )
    assert "'nope'" in message and "linear" in message
    message = _torchserve_error(client.post("/predictions/linear/9.9", content=b"[1]"), 404)
    assert "'9.9'" in message and "'1.0'" in message


def test_model_failure_is_500_and_server_keeps_serving(client):
    message = _torchserve_error(
        client.post("/predictions/fragile", content=b"[[-1, 2]]"), 500, "InternalServerException"
    )
    assert "negative input" in message
    assert client.post("/predictions/fragile", content=b"[[1, 2]]").json() == [[1.0, 2.0]]


def test_handler_returning_wrong_length_is_a_clear_500(client):
    message = _torchserve_error(client.post("/predictions/wrong_length", content=b"[[1, 2]]"), 500)
    assert "returned 0 results for a batch of 1" in message


def test_unknown_route_and_method_are_json(client):
    _torchserve_error(client.get("/nothing/here"), 404, "ResourceNotFoundException")
    _torchserve_error(client.get("/predictions/linear"), 405, "MethodNotAllowedException")
    _v2_error(client.get("/v2/models/linear/infer"), 405)
    _v2_error(client.get("/v2/nothing"), 404)


def test_body_over_limit_is_413(make_server):
    client = TestClient(make_server(models=["linear.emar"], max_request_size=64).apps["inference"])
    message = _torchserve_error(
        client.post("/predictions/linear", content=b"[" + b"1," * 100 + b"1]"), 413
    )
    assert "64" in message
    _v2_error(client.post("/v2/models/linear/infer", content=b" " * 65), 413)
    assert client.post("/predictions/linear", content=b"[1, 2, 3, 4]").status_code == 200


def test_gzip_request_body(client):
    body = gzip.compress(json.dumps(LINEAR_INPUT).encode())
    response = client.post(
        "/predictions/linear", content=body, headers={"Content-Encoding": "gzip"}
    )
    np.testing.assert_allclose(response.json(), _linear_reference(LINEAR_INPUT), rtol=1e-5)
    _torchserve_error(
        client.post("/predictions/linear", content=b"x", headers={"Content-Encoding": "br"}), 415
    )
    _torchserve_error(
        client.post("/predictions/linear", content=body[:-5], headers={"Content-Encoding": "gzip"}),
        400,
    )


# ------------------------------------------------------------------- Open Inference Protocol


def test_v2_server_routes(client):
    assert client.get("/v2").json() == {
        "name": "emberserve",
        "version": emberserve.__version__,
        "extensions": ["binary_tensor_data"],
    }
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}


def test_v2_model_metadata_declares_real_signature(client):
    metadata = client.get("/v2/models/linear").json()
    assert metadata == {
        "name": "linear",
        "versions": ["1.0"],
        "platform": "ember_safetensors",
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [{"name": "output__0", "datatype": "FP32", "shape": [-1, 3]}],
    }
    assert client.get("/v2/models/linear/versions/1.0").json() == metadata
    images = client.get("/v2/models/images").json()
    assert images["inputs"] == [{"name": "image", "datatype": "BYTES", "shape": [-1]}]
    assert images["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 5]}]


def test_v2_model_ready(server, client):
    assert client.get("/v2/models/linear/ready").json() == {"name": "linear", "ready": True}
    assert client.get("/v2/models/linear/versions/1.0/ready").status_code == 200
    server.registry.scale("linear", None, 0)
    response = client.get("/v2/models/linear/ready")
    assert response.status_code == 503 and response.json() == {"name": "linear", "ready": False}
    assert client.get("/v2/health/ready").status_code == 503
    message = _v2_error(client.post("/v2/models/linear/infer", json={"inputs": []}), 400)
    assert "inputs" in message
    response = client.post("/v2/models/linear/infer", json=_v2_linear_request())
    assert _v2_error(response, 503) and response.headers["retry-after"] == "1"


def _v2_linear_request(rows=LINEAR_INPUT, **extra):
    tensor = {"name": "x", "datatype": "FP32", "shape": [len(rows), 4], "data": rows}
    return {"inputs": [tensor], **extra}


def test_v2_infer_json(client):
    response = client.post("/v2/models/linear/infer", json=_v2_linear_request(id="req-7"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert (
        body["model_name"] == "linear" and body["model_version"] == "1.0" and body["id"] == "req-7"
    )
    (output,) = body["outputs"]
    assert (
        output["name"] == "output__0" and output["datatype"] == "FP32" and output["shape"] == [2, 3]
    )
    np.testing.assert_allclose(
        np.reshape(output["data"], (2, 3)), _linear_reference(LINEAR_INPUT), rtol=1e-5
    )


def test_v2_infer_flat_data_and_versioned_route(client):
    request = _v2_linear_request()
    request["inputs"][0]["data"] = np.ravel(LINEAR_INPUT).tolist()
    response = client.post("/v2/models/linear/versions/1.0/infer", json=request)
    np.testing.assert_allclose(
        np.reshape(response.json()["outputs"][0]["data"], (2, 3)),
        _linear_reference(LINEAR_INPUT),
        rtol=1e-5,
    )


def _binary_request(arrays, outputs=None, parameters=None):
    """A V2 request body with every input in binary, and its Inference-Header-Content-Length."""
    inputs, chunks = [], []
    for name, array in arrays.items():
        if array.dtype == object:
            raw = b"".join(len(v).to_bytes(4, "little") + v for v in array.ravel())
            datatype = "BYTES"
        else:
            raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
            datatype = {"b": "BOOL"}.get(array.dtype.kind) or {"u": "UINT", "i": "INT", "f": "FP"}[
                array.dtype.kind
            ] + str(8 * array.itemsize)
        inputs.append(
            {
                "name": name,
                "datatype": datatype,
                "shape": list(array.shape),
                "parameters": {"binary_data_size": len(raw)},
            }
        )
        chunks.append(raw)
    head = {"inputs": inputs}
    if outputs is not None:
        head["outputs"] = outputs
    if parameters is not None:
        head["parameters"] = parameters
    header = json.dumps(head).encode()
    return header + b"".join(chunks), {"Inference-Header-Content-Length": str(len(header))}


def _read_binary_response(response):
    """Split a binary V2 response into its JSON header and the outputs as numpy arrays."""
    length = int(response.headers["inference-header-content-length"])
    header = json.loads(response.content[:length])
    arrays, offset = {}, length
    dtypes = {"BOOL": "?", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}
    for output in header["outputs"]:
        if "data" in output:
            continue
        size = output["parameters"]["binary_data_size"]
        raw = response.content[offset : offset + size]
        offset += size
        datatype = output["datatype"]
        if datatype == "BYTES":
            values, i = [], 0
            while i < len(raw):
                n = int.from_bytes(raw[i : i + 4], "little")
                values.append(raw[i + 4 : i + 4 + n])
                i += 4 + n
            array = np.array(values, dtype=object)
        else:
            kind = dtypes.get(datatype) or ("<u" if datatype.startswith("U") else "<i") + str(
                int(datatype.lstrip("UINT")) // 8
            )
            array = np.frombuffer(raw, kind)
        arrays[output["name"]] = array.reshape(output["shape"])
    assert offset == len(response.content)
    return header, arrays


def _all_datatypes():
    arrays = {}
    for datatype in emberserve.schema.DATATYPES:
        name = f"in_{datatype.lower()}"
        if datatype == "BYTES":
            arrays[name] = np.array([[b"", b"\xff\x00bin"], [b"abc", "é".encode()]], dtype=object)
        elif datatype == "BOOL":
            arrays[name] = np.array([[True, False], [False, True]])
        else:
            dtype = emberserve.schema.DATATYPES[datatype]
            info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
            arrays[name] = np.array([[info.min, info.max], [0, 1]], dtype)
    return arrays


def test_v2_binary_round_trip_of_all_13_datatypes(client):
    arrays = _all_datatypes()
    body, headers = _binary_request(arrays, parameters={"binary_data_output": True})
    response = client.post("/v2/models/echo/infer", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    header, outputs = _read_binary_response(response)
    assert [o["datatype"] for o in header["outputs"]] == list(emberserve.schema.DATATYPES)
    for name, array in arrays.items():
        np.testing.assert_array_equal(outputs[name], array)


def test_v2_json_round_trip_of_all_13_datatypes(client):
    arrays = _all_datatypes()
    arrays["in_bytes"] = np.array([[b"", b"text"], [b"abc", "é".encode()]], dtype=object)
    inputs = []
    for name, array in arrays.items():
        datatype = name[3:].upper()
        data = [v.decode() for v in array.ravel()] if datatype == "BYTES" else array.tolist()
        inputs.append({"name": name, "datatype": datatype, "shape": [2, 2], "data": data})
    response = client.post("/v2/models/echo/infer", content=json.dumps({"inputs": inputs}))
    assert response.status_code == 200, response.text
    for output, tensor in zip(response.json()["outputs"], inputs):
        assert output["datatype"] == tensor["datatype"] and output["shape"] == [2, 2]
        flat = (
            tensor["data"]
            if tensor["datatype"] == "BYTES"
            else [v for row in tensor["data"] for v in row]
        )
        assert output["data"] == flat  # exact: no detour through float64 for UINT64


def test_v2_requested_outputs_choose_binary_or_json(client):
    arrays = {"a": np.array([[1.5, 2.0]], np.float32), "b": np.array([[2, 3]], np.int64)}
    outputs = [{"name": "output__1", "parameters": {"binary_data": True}}, {"name": "output__0"}]
    body, headers = _binary_request(arrays, outputs=outputs)
    response = client.post("/v2/models/two_heads/infer", content=body, headers=headers)
    header, binary = _read_binary_response(response)
    assert [o["name"] for o in header["outputs"]] == ["output__1", "output__0"]
    np.testing.assert_array_equal(binary["output__1"], [[3.0, 6.0]])
    assert header["outputs"][1]["data"] == [3.5, 5.0]
    message = _v2_error(
        client.post(
            "/v2/models/two_heads/infer",
            content=body.replace(b"output__0", b"output__9"),
            headers=headers,
        ),
        400,
    )
    assert "'output__9'" in message and "'output__0'" in message


def test_v2_image_classifier(client, png):
    images = np.array([png(seed=1), png(seed=2, format="JPEG")], dtype=object)
    body, headers = _binary_request({"image": images}, outputs=[{"name": "probabilities"}])
    response = client.post("/v2/models/images/infer", content=body, headers=headers)
    (output,) = response.json()["outputs"]
    probabilities = np.reshape(output["data"], output["shape"])
    assert probabilities.shape == (2, 5)
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
    top = client.post("/predictions/images", content=png(seed=1)).json()
    np.testing.assert_allclose(
        sorted(probabilities[0], reverse=True)[:3], list(top.values()), rtol=1e-6
    )


def test_v2_wrong_shape_and_datatype_name_expected_and_received(client):
    request = _v2_linear_request()
    request["inputs"][0]["shape"] = [4, 2]
    message = _v2_error(client.post("/v2/models/linear/infer", json=request), 400)
    assert "expected shape [-1, 4]" in message and "received [4, 2]" in message
    request = _v2_linear_request()
    request["inputs"][0]["datatype"] = "INT32"
    request["inputs"][0]["data"] = [[1, 2, 3, 4], [5, 6, 7, 8]]
    message = _v2_error(client.post("/v2/models/linear/infer", json=request), 400)
    assert "expected datatype FP32, received INT32" in message


def test_v2_unknown_model_is_404_json(client):
    assert "'nope'" in _v2_error(client.get("/v2/models/nope"), 404)
    assert _v2_error(client.post("/v2/models/nope/infer", json=_v2_linear_request()), 404)
    assert _v2_error(client.get("/v2/models/linear/versions/7/ready"), 404)


def test_v2_model_failure_is_500(client):
    request = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [-1, 0]}]}
    assert "negative input" in _v2_error(client.post("/v2/models/fragile/infer", json=request), 500)


# ------------------------------------------------------------------------- management API


def test_management_list_and_pagination(manage):
    names = [m["modelName"] for m in manage.get("/models").json()["models"]]
    assert names == sorted(names) and "linear" in names and len(names) == 8
    first = manage.get("/models?limit=3").json()
    assert len(first["models"]) == 3 and first["nextPageToken"] == "3"
    rest = manage.get("/models?limit=100&next_page_token=3").json()
    assert [m["modelName"] for m in first["models"] + rest["models"]] == names
    assert "nextPageToken" not in rest
    _torchserve_error(manage.get("/models?limit=x"), 400)


def test_management_describe(manage):
    (described,) = manage.get("/models/linear").json()
    assert described["modelName"] == "linear" and described["modelVersion"] == "1.0"
    assert described["batchSize"] == 4 and described["maxBatchDelay"] == 5
    assert [w["status"] for w in described["workers"]] == ["READY"]
    assert described["jobQueueStatus"] == {"remainingCapacity": 100, "pendingRequests": 0}
    assert manage.get("/models/linear/1.0").json() == [described]
    assert manage.get("/models/linear/all").json() == [described]
    _torchserve_error(manage.get("/models/nope"), 404)


def test_management_register_versions_default_and_unregister(make_server, private_store):
    server = make_server(model_store=private_store)
    client, manage = TestClient(server.apps["inference"]), TestClient(server.apps["management"])
    emberserve.archive.create(
        private_store / "linear_v2.emar",
        name="linear",
        version="2.0",
        factory="emberserve.testing:linear",
        kwargs={"seed": 1},
        inputs=[{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
    )
    response = manage.post("/models?url=linear_v2.emar&initial_workers=2&batch_size=2")
    assert response.status_code == 200
    assert response.json() == {
        "status": 'Model "linear" Version: 2.0 registered with 2 initial workers'
    }
    _torchserve_error(manage.post("/models?url=linear_v2.emar"), 409, "ConflictStatusException")
    assert [d["modelVersion"] for d in manage.get("/models/linear/all").json()] == ["1.0", "2.0"]
    assert client.get("/v2/models/linear").json()["versions"] == ["1.0", "2.0"]
    v1 = client.post("/predictions/linear", content=b"[1, 2, 3, 4]").json()
    v2 = client.post("/predictions/linear/2.0", content=b"[1, 2, 3, 4]").json()
    assert v1 != v2
    _torchserve_error(manage.delete("/models/linear/1.0"), 409)  # the default, with others left
    response = manage.put("/models/linear/2.0/set-default")
    assert (
        response.json()["status"]
        == 'Default version successfully updated for model "linear" to "2.0"'
    )
    assert client.post("/predictions/linear", content=b"[1, 2, 3, 4]").json() == v2
    assert manage.delete("/models/linear/1.0").json() == {
        "status": 'Model "linear" version 1.0 unregistered'
    }
    assert manage.delete("/models/linear").json() == {
        "status": 'Model "linear" version 2.0 unregistered'
    }
    _torchserve_error(client.post("/predictions/linear", content=b"[1, 2, 3, 4]"), 404)
    _torchserve_error(manage.put("/models/nope/1/set-default"), 404)


def test_management_register_errors(make_server, private_store):
    manage = TestClient(make_server(["linear.emar"], private_store).apps["management"])
    message = _torchserve_error(
        manage.post("/models?url=../../etc/passwd"), 403, "ForbiddenException"
    )
    assert "inside the model store" in message
    _torchserve_error(manage.post("/models?url=/etc/passwd"), 403)
    message = _torchserve_error(manage.post("/models?url=https://example.com/m.emar"), 403)
    assert "allowed_urls" in message
    _torchserve_error(manage.post("/models?url=file:///etc/passwd"), 403)
    _torchserve_error(manage.post("/models?url=missing.emar"), 404)
    _torchserve_error(manage.post("/models"), 400)
    _torchserve_error(manage.post("/models?url=linear.emar&batch_size=0"), 400)
    (private_store / "broken.emar").write_bytes(b"PK\x03\x04 not really a zip")
    message = _torchserve_error(
        manage.post("/models?url=broken.emar&model_name=broken"),
        400,
        "InvalidModelArchiveException",
    )
    assert "broken.emar" in message


def test_management_register_symlink_out_of_store_is_refused(make_server, private_store, tmp_path):
    manage = TestClient(make_server([], private_store).apps["management"])
    outside = tmp_path / "outside.emar"
    outside.write_bytes((private_store / "linear.emar").read_bytes())
    (private_store / "link.emar").symlink_to(outside)
    _torchserve_error(manage.post("/models?url=link.emar"), 403)


def test_management_scale_workers(manage, client):
    response = manage.put("/models/linear?min_worker=3")
    assert response.json() == {"status": "Workers scaled to 3 for model: linear, version: 1.0"}
    assert len(manage.get("/models/linear").json()[0]["workers"]) == 3
    assert client.post("/predictions/linear", content=b"[1, 2, 3, 4]").status_code == 200
    manage.put("/models/linear/1.0?min_worker=0")
    assert manage.get("/models/linear").json()[0]["workers"] == []
    message = _torchserve_error(client.post("/predictions/linear", content=b"[1, 2, 3, 4]"), 503)
    assert "no workers" in message
    manage.put("/models/linear?min_worker=1")
    assert client.post("/predictions/linear", content=b"[1, 2, 3, 4]").status_code == 200
    _torchserve_error(manage.put("/models/linear"), 400)
    _torchserve_error(manage.put("/models/linear?min_worker=2&max_worker=1"), 400)


def test_management_is_not_on_the_inference_port(client, manage):
    assert client.get("/models").status_code == 404
    assert manage.get("/ping").status_code == 404


# ----------------------------------------------------------------------------- metrics API


def test_metrics(server, client):
    client.post("/predictions/linear", content=b"[1, 2, 3, 4]")
    client.post("/predictions/linear", content=b"[1, 2]")
    client.post("/v2/models/linear/infer", json=_v2_linear_request())
    client.post("/predictions/nope", content=b"[1]")
    response = TestClient(server.apps["metrics"]).get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    labels = 'api="torchserve",model="linear",status="200",version="1.0"'
    assert f"emberserve_requests_total{{{labels}}} 1.0" in text
    assert (
        'emberserve_requests_total{api="torchserve",model="linear",status="400",version="1.0"} 1.0'
        in text
    )
    assert (
        'emberserve_requests_total{api="v2",model="linear",status="200",version="1.0"} 1.0' in text
    )
    assert f"emberserve_request_latency_seconds_count{{{labels}}} 1.0" in text
    assert 'emberserve_batch_size_count{model="linear",version="1.0"}' in text
    assert 'emberserve_queue_latency_seconds_count{model="linear",version="1.0"} 3.0' in text
    assert 'emberserve_workers{model="linear",version="1.0"} 1.0' in text
    assert 'emberserve_queue_depth{model="linear",version="1.0"} 0.0' in text
    assert 'model="nope"' not in text


# ------------------------------------------------------------------------- security: auth, CORS


def test_bearer_tokens(make_server, tmp_path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"inference": "secret-i", "management": "secret-m"}))
    server = make_server(models=["linear.emar"], token_file=str(tokens))
    client = TestClient(server.apps["inference"])
    manage = TestClient(server.apps["management"])
    response = client.post("/predictions/linear", content=b"[1, 2, 3, 4]")
    _torchserve_error(response, 401, "UnauthorizedException")
    assert response.headers["www-authenticate"] == "Bearer"
    _v2_error(client.get("/v2/models/linear", headers={"Authorization": "Bearer secret-m"}), 401)
    _v2_error(client.get("/v2/models/linear", headers={"Authorization": "Basic secret-i"}), 401)
    good = {"Authorization": "Bearer secret-i"}
    assert (
        client.post("/predictions/linear", content=b"[1, 2, 3, 4]", headers=good).status_code == 200
    )
    assert client.get("/v2/models/linear", headers=good).status_code == 200
    for path in ("/ping", "/v2/health/live", "/v2/health/ready"):
        assert client.get(path).status_code == 200  # probes need no secret
    _torchserve_error(manage.get("/models", headers=good), 401)
    assert manage.get("/models", headers={"Authorization": "Bearer secret-m"}).status_code == 200


def test_token_from_environment_through_config(monkeypatch):
    config = emberserve.load_config(environ={"EMBERSERVE_INFERENCE_TOKEN": "t0k"})
    assert config.tokens() == {"inference": "t0k", "management": None}


def test_cors_off_by_default_and_on_when_configured(make_server):
    origin = {"Origin": "https://app.example.com"}
    default = TestClient(make_server(models=["linear.emar"]).apps["inference"])
    assert "access-control-allow-origin" not in default.get("/ping", headers=origin).headers
    server = make_server(
        models=["linear.emar"],
        cors_allowed_origins=["https://app.example.com"],
        inference_token="t",
    )
    client = TestClient(server.apps["inference"])
    preflight = client.options(
        "/v2/models/linear/infer",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert (
        client.get("/ping", headers=origin).headers["access-control-allow-origin"]
        == "https://app.example.com"
    )
    evil = client.get("/ping", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in evil.headers


def test_a_corrupt_archive_at_startup_does_not_stop_the_others(private_store):
    (private_store / "zz_broken.emar").write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    server = emberserve.Server(
        emberserve.ServeConfig(model_store=str(private_store), models=["all"])
    )
    try:
        failures = server.load_models()
        assert list(failures) == ["zz_broken.emar"]
        assert "zz_broken.emar is incomplete: it has no MANIFEST.json" in failures["zz_broken.emar"]
        assert len(server.registry.all()) == 8
        client = TestClient(server.apps["inference"])
        assert client.post("/predictions/linear", content=b"[1, 2, 3, 4]").status_code == 200
    finally:
        server.registry.close(timeout=10)
