"""Resolution: which place, which country, what each name means.

Sits between parsing and storing: sources give names as written, resolution
decides their identity (ISO codes, place ids, other scripts).
"""
