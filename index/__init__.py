"""newsdesk index: articles -> sentences -> chunks -> vectors in Chroma -> ranked evidence.

Knows nothing about LLMs or HTTP.
"""
