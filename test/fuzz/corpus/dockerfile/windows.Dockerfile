# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022@sha256:1111111111111111111111111111111111111111111111111111111111111111
SHELL ["powershell", "-Command"]
RUN Invoke-WebRequest https://example.com/x.msi -OutFile x.msi; `
    Start-Process msiexec -Wait
USER ContainerUser
