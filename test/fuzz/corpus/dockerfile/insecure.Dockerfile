# syntax=docker/dockerfile:1
# A Dockerfile with one of each problem `airbag lint` looks for (line numbers are asserted in tests).
ARG BASE=ubuntu
FROM ${BASE} AS build
RUN apt-get update && apt-get install curl
RUN curl -fsSL https://get.example.com/install.sh | sudo bash
ADD https://example.com/tool.tar.gz /opt/
ADD app.py /app/
ENV DB_PASSWORD=s3cr3t-value
RUN cd /app && chmod -R 777 /app
EXPOSE 22
# airbag ignore=DL3042 pip cache is removed in the next stage
RUN pip install flask
FROM build
USER root
