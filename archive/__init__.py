"""Articles: the model, parsing of text and HTML files, categories and reading sources.

Pure Python: nothing here knows about Whoosh or Flask.
"""
