"""Benchmark reference: the kind of Flask app the greeter replaces, served by gunicorn (2 sync workers)."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/echo-name")
def echo_name():
    data = request.get_json(silent=True) or {}
    name = data.get("name") or request.values.get("name")
    if not isinstance(name, str) or not name.strip():
        return jsonify(error="name is required"), 400
    return jsonify(message=f"Hello, {name.strip()}")
