"""gunicorn's settings for the image (Dockerfile: gunicorn -c configs/gunicorn.conf.py).

The access log names each request by its method and path, never its query string or referrer:
the applications list is searched by a client's name or phone in the query string
(?q=Петров, ?q=900 123), and a referrer repeats the address of the page before. A log line keeps
the request id (X-Request-ID) to follow the request into the application's own log.
docs/security.md, "Personal data"; tests/test_erasure.py checks a line.
"""

accesslog = "-"
# %(U)s is the path alone (PATH_INFO); %(r)s, %(q)s and %(f)s, which carry query strings, are left out.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s" %({x-request-id}o)s'

# gunicorn answers a request line over limit_request_line (414) or a header over
# limit_request_field_size (431) itself, as an HTML page outside the API's error shape. Its limits
# are set above the application's own (prescoring.middleware.RequestHeaderLimitMiddleware: 4 KiB of
# query string, 8 KiB per header value), so that the application answers first, in its JSON shape.
# gunicorn takes any limit_request_line of 8190 or more as 8190 (a query of 8 KiB was answered in
# HTML): 0 is its way to say "up to 1 MiB". limit_request_field_size has no such cap.
# tests/test_request_limits.py sends both to gunicorn started with this file.
limit_request_line = 0
limit_request_field_size = 65536
