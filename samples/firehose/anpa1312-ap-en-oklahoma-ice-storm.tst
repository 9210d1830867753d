a0418-----
r a BC-US--Winter Weather-Oklahoma   01-27 0181
^BC-US--Winter Weather-Oklahoma,0181< 
^Ice storm knocks out power to 40,000 in Oklahoma City area< 
^Eds: Updates with school closures, forecast.< 
^By MELISSA HARTGROVE= 
^Associated Press= 
	   OKLAHOMA CITY (AP) _ An ice storm coated central Oklahoma in up to half an inch of ice on Tuesday, snapping tree limbs and power lines and leaving more than 40,000 homes and businesses without electricity in the Oklahoma City area. 
	   Freezing rain began falling before dawn and continued into the afternoon, turning highways into sheets of ice. State troopers responded to more than 150 crashes across central Oklahoma by midafternoon, most of them minor, the Highway Patrol said. 
	   ``We're asking people to stay home tonight if they can,'' said Dana Whitfield, a spokeswoman for the city's emergency management office. ``Crews can't restore power safely while cars are sliding into the poles they're working on.'' 
	   Utility officials said repair crews from Texas and Arkansas were on their way to help, but warned that some customers could be without power into the weekend. 
	   Most school districts in the metro area canceled classes for Wednesday, and the city's main airport reported dozens of delayed and canceled flights. 
	   Temperatures were forecast to stay below freezing until Thursday afternoon, according to the National Weather Service. 

	   AP-WF-01-27-26 2214GMT<


