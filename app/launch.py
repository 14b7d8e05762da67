"""Start NTM Explorer: `python -m app.launch [streamlit run options]` (scripts/run_app.sh does).

The same as `streamlit run app/main.py`, except that the heavy work of a first visit happens before
the server answers: importing torch and Plotly, loading the shipped models and drawing the step
figures once (Plotly imports its validators on first use). The first visitor then waits only for
the page, not for the imports.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import sys
from pathlib import Path

ENTRY = Path(__file__).resolve().parent / "main.py"
# Streamlit warns when its caches are used before its server exists; here that is on purpose.
QUIET = ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context")


def warm_up() -> None:
    """Import, load and draw what the Step-through page needs, once, in this process."""
    import plotly.io

    from app import analysis, figures, inputs, state

    for spec in state.available_specs():
        net = state.load_model(spec.model)  # st.cache_resource: the page gets this very object
        request = inputs.default_request(spec.name)
        example = inputs.build_example(request)
        trace = net.run(example.inputs).trace
        rows = analysis.display_rows(trace, True)
        for fig in (figures.io_figure(spec, example, trace.outputs, 0), figures.heads_figure(trace, 0, rows),
                    figures.pipeline_figure(trace, 0, analysis.head_order(trace)[0], rows)):
            plotly.io.to_json(fig, validate=False)
    gc.collect()
    gc.freeze()  # what is loaded now stays: later full collections need not walk it


@contextlib.contextmanager
def quiet():
    for name in QUIET:
        importlib.import_module(name)  # Streamlit sets its loggers' levels on import: import first
    loggers = [logging.getLogger(name) for name in QUIET]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def main() -> None:
    with quiet():
        warm_up()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ENTRY), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
