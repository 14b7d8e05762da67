"""NTM Explorer: the entry script. `streamlit run app/main.py` (see README)."""
import streamlit as st

from app import controls, plotly_view

st.set_page_config(
    page_title="NTM Explorer",
    page_icon=":material/memory:",
    layout="wide",
    initial_sidebar_state="collapsed" if controls.lecture_requested() else "auto",
)
plotly_view.preload()
page = st.navigation([
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("views/step_through.py", title="Step through", icon=":material/play_circle:", url_path="step"),
])
controls.lecture_toggle()
page.run()
