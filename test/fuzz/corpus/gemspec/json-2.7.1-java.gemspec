# -*- encoding: utf-8 -*-
# stub: json 2.7.1 java lib

Gem::Specification.new do |spec|
  spec.name = 'json'
  spec.version = Gem::Version.new("2.7.1")
  spec.platform = "java"
  spec.license = 'Ruby' # single licence form
  spec.summary = "JSON implementation for JRuby"
end
