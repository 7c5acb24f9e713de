"""Page sections: what each page draws, so that the page scripts stay picture frames."""
