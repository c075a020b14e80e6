-- wrk script: every request is the greeter's JSON POST /echo-name with a non-ASCII name.
wrk.method = "POST"
wrk.body = '{"name":"Zo\195\171"}'
wrk.headers["Content-Type"] = "application/json"
