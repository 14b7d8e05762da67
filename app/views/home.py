"""Home: what explicit memory is and why it matters, the NTM drawn, and a tour of the pages."""
import streamlit as st

from app import content

st.title("NTM Explorer")
st.markdown(content.section("intro"))
with st.container(border=True):
    st.page_link("views/step_through.py", label="Start here: watch the NTM copy “HELLO” into its memory and "
                 "read it back, step by step", icon=":material/play_circle:", query_params={"text": "HELLO"})
st.image(str(content.ASSETS / "ntm_diagram.svg"), alt=content.DIAGRAM_ALT, caption=content.DIAGRAM_CAPTION,
         width=820)
st.markdown(content.section("why"))
st.markdown(content.section("attention"))
st.header("A tour of the pages")
for page, label, icon, words in content.TOUR:
    with st.container(border=True):
        st.page_link(page, label=label, icon=icon)
        st.markdown(words)
