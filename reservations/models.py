# Models for this app arrive with its issue; the app is installed so that migrations and URLs have a home.
