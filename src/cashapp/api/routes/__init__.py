"""The ERP API's routers, one per resource; thin: parse, call a use case, shape the answer."""
