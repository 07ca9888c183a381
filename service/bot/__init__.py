"""Member-facing side: WeChat callback, SMS inbound, member card pages, mini-program API."""
