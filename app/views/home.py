"""Home: what explicit memory is and why it matters, the NTM drawn, and a tour of the pages."""
from pathlib import Path

import streamlit as st

from app import content

ASSETS = Path(__file__).resolve().parents[2] / "assets"

st.title("NTM Explorer")
st.markdown(content.section("intro"))
st.page_link("views/step_through.py", label="Start here: watch the NTM copy “HELLO”, step by step",
             icon=":material/play_circle:", query_params={"text": "HELLO"})
left, right = st.columns([3, 2], gap="large")
with left:
    st.markdown(content.section("why"))
with right:
    st.image(str(ASSETS / "ntm_diagram.svg"), alt=content.DIAGRAM_ALT, caption=content.DIAGRAM_CAPTION)
st.markdown(content.section("attention"))
st.header("A tour of the pages")
for page, label, icon, words in content.TOUR:
    with st.container(border=True):
        st.page_link(page, label=label, icon=icon)
        st.markdown(words)
