"""Code that runs INSIDE a worker process: standard library only, nothing else from turnout.

It must also run on older interpreters a runtime id may be mapped to (Python 3.9+).
"""
