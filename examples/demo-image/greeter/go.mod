module example.com/airbag-demo/greeter

go 1.19

require golang.org/x/text v0.3.8-0.20220509174342-b4bca84b0361
