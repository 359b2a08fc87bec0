# SHELL is PowerShell: Windows stops containers with its own console
# events, not SIGTERM; this rule is about POSIX shells.
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
CMD C:\app\server.exe --port 8080
