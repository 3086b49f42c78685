"""Render: verdicts -> Markdown cards, SVG charts and indexes under cards/.

    Workspace + outcomes --plan--> {path: bytes} --compare--> Differences --write--> cards/

markdown (escaping filters) <- templates (the jinja2 sandbox) <- seal <- chart <- cards
<- index <- files (plan, compare, write). Cards depend on nothing but the files they are
rendered from: no clock, no absolute path, no machine.
"""
