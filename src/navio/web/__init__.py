"""Traveler web pages: server-rendered page shells and their static assets.

The pages are a client of the public API, as the apps are: a page carries no data of anyone's,
and everything it shows is fetched from `/api/v1` with the signed-in traveler's bearer token, so
every object is authorized by the same code that authorizes the apps."""
